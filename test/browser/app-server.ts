/**
 * The app server of startAppServer (harness.ts), run in its own process: a fresh database, the real engine,
 * main/server.ts. Options arrive as JSON in SAEGIM_APP_SERVER; it prints APP_SERVER_READY and its address
 * once it listens, runs the first run before serving or, asked to wait, on an APP_SERVER_FIRST_RUN line (then
 * indexes on an APP_SERVER_FIRST_RUN_INDEX line), and stops (removing the database) when its stdin closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../main/server.js';
import { SaegimService } from '../../main/service.js';
import { APP_SERVER_FIRST_RUN, APP_SERVER_FIRST_RUN_INDEX, APP_SERVER_READY, slowedControl, type AppServerOptions } from './harness.js';

const opts = JSON.parse(process.env.SAEGIM_APP_SERVER ?? '{}') as AppServerOptions & { staticDir: string };
const home = mkdtempSync(join(tmpdir(), 'saegim-app-'));
const service = SaegimService.open({ dbPath: join(home, 'saegim.db'), bundledDataDir: opts.noDemo ? null : undefined });
const delay = opts.progressDelayMs ?? 0;
if (delay > 0) {
  // On the instance rather than around it: the first run calls these methods on the service itself.
  const own = { importDataset: service.importDataset.bind(service), indexCollection: service.indexCollection.bind(service), evaluate: service.evaluate.bind(service) };
  service.importDataset = (req, ctl) => own.importDataset(req, slowedControl(ctl, delay));
  service.indexCollection = (req, ctl) => own.indexCollection(req, slowedControl(ctl, delay));
  service.evaluate = (req, ctl) => own.evaluate(req, slowedControl(ctl, delay));
}
// Asked to wait, the first run holds between its import and its indexing, without holding the event loop.
let allowIndexing = () => {};
const indexing = opts.firstRunWhenAsked ? new Promise<void>((go) => (allowIndexing = go)) : Promise.resolve();
const index = service.indexCollection.bind(service);
service.indexCollection = async (req, ctl) => {
  await indexing;
  return index(req, ctl);
};
let firstRun: Promise<void> = Promise.resolve();
if (!opts.firstRunWhenAsked) await (firstRun = service.bootstrap());
const server = await startServer(service, { port: 0, staticDir: opts.staticDir });
process.stdout.write(`${APP_SERVER_READY}${JSON.stringify({ url: server.url, pageUrl: server.pageUrl, token: server.token })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  allowIndexing();
  await firstRun;
  await service.close();
  rmSync(home, { recursive: true, force: true });
  process.exit(0);
}
let input = '';
process.stdin.on('data', (chunk: Buffer) => {
  input += chunk.toString();
  const lines = input.split('\n');
  input = lines.pop()!;
  if (lines.includes(APP_SERVER_FIRST_RUN) && !stopping) firstRun = service.bootstrap();
  if (lines.includes(APP_SERVER_FIRST_RUN_INDEX)) allowIndexing();
});
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.once('SIGTERM', () => void stop());
process.stdin.resume();
