import type { EngineOptions, FromEngine } from '../main/rpc/engine-messages.js';
import { serveEngine, type EnginePort } from '../main/rpc/engine-worker.js';
import { SaegimService } from '../main/service.js';

export { serveEngine, type EnginePort } from '../main/rpc/engine-worker.js';

function readOptions(argv: string[]): EngineOptions {
  const at = argv.indexOf('--engine-options');
  if (at < 0 || !argv[at + 1]) throw new Error('the engine process needs --engine-options');
  return JSON.parse(argv[at + 1]!) as EngineOptions;
}

/** The engine in Electron's utility process: encoding, MaxSim scoring and SQLite work run here, so the window's main process never blocks. */
export async function runEngine(): Promise<void> {
  const port = process.parentPort;
  let service: SaegimService;
  try {
    const opts = readOptions(process.argv);
    service = SaegimService.open({ dbPath: opts.dbPath, modelDir: opts.modelDir, ...(opts.demo ? {} : { bundledDataDir: null }) });
    void service.bootstrap();
  } catch (err) {
    port.postMessage({ type: 'fatal', message: (err as Error).message } satisfies FromEngine);
    process.exit(1);
  }
  await serveEngine(port as unknown as EnginePort, service, () => service.close());
  process.exit(0);
}
