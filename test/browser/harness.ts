import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { OperationControl } from '../../main/contract/api.js';
import { METHOD_NAMES, type SaegimApi } from '../../main/contract/methods.js';
import { startServer } from '../../main/server.js';
import { SaegimService } from '../../main/service.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const ARTIFACTS = join(ROOT, 'test-artifacts');
const RENDERER_OUT = join(ROOT, 'dist', 'renderer');

export interface AppServer {
  /** The server's origin. */
  url: string;
  /** What a person opens: the origin with the API token, which the page trades for a cookie. */
  pageUrl: string;
  token: string;
  api: SaegimApi;
  service: SaegimService;
  close(): Promise<void>;
}

export interface AppServerOptions {
  /** Milliseconds each progress event of a long operation is held back, so tests can watch and cancel it. */
  progressDelayMs?: number;
  /** Skip the first-run import and indexing of the bundled demo corpus. */
  noDemo?: boolean;
}

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), s.mtimeMs);
}

/** dist/renderer, rebuilt with Vite when any renderer source (or a contract it imports) is newer. */
export async function builtRenderer(): Promise<string> {
  const sources = ['renderer', 'main/contract', 'vite.config.ts'];
  const built = newest(join(RENDERER_OUT, 'index.html'));
  if (built === 0 || sources.some((s) => newest(join(ROOT, s)) > built)) {
    // A child process with NODE_ENV=production: inside vitest NODE_ENV is `test`, and Vite would bundle
    // React's development build into dist/renderer, which `npm start` then serves.
    const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production' },
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`vite build failed:\n${run.stdout}\n${run.stderr}`);
  }
  return RENDERER_OUT;
}

/**
 * Slows long operations down at each progress event, so progress bars and cancel buttons can be driven;
 * everything else is the real engine's behaviour.
 */
export function slowedApi(api: SaegimApi, delayMs: number): SaegimApi {
  if (delayMs <= 0) return api;
  const slow = (ctl?: OperationControl): OperationControl | undefined => {
    if (!ctl?.onProgress) return ctl;
    const onProgress = ctl.onProgress;
    return {
      signal: ctl.signal,
      onProgress(p) {
        onProgress(p);
        const until = Date.now() + delayMs;
        // The engine reports progress synchronously between batches; a busy wait holds the batch back.
        while (Date.now() < until && !ctl.signal?.aborted) {
          /* waiting */
        }
      },
    };
  };
  return {
    ...bindAll(api),
    importDataset: (req, ctl) => api.importDataset(req, slow(ctl)),
    indexCollection: (req, ctl) => api.indexCollection(req, slow(ctl)),
    evaluate: (req, ctl) => api.evaluate(req, slow(ctl)),
  };
}

function bindAll(api: SaegimApi): SaegimApi {
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, (api[m] as (...a: unknown[]) => unknown).bind(api)])) as unknown as SaegimApi;
}

/**
 * The app as a browser sees it: the built renderer and the real engine (bundled model, demo corpus, a
 * fresh database) behind main/server.ts.
 */
export async function startAppServer(opts: AppServerOptions = {}): Promise<AppServer> {
  const home = mkdtempSync(join(tmpdir(), 'saegim-app-'));
  const service = SaegimService.open({ dbPath: join(home, 'saegim.db'), bundledDataDir: opts.noDemo ? null : undefined });
  await service.bootstrap();
  const api = slowedApi(service, opts.progressDelayMs ?? 0);
  const server = await startServer(api, { port: 0, staticDir: await builtRenderer() });
  return {
    url: server.url,
    pageUrl: server.pageUrl,
    token: server.token,
    api,
    service,
    async close() {
      await server.close();
      await service.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM = process.env.SAEGIM_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install -y chromium fonts-nanum)`;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** A full-page screenshot from the top, so the sticky header sits where a user sees it. */
export async function shot(page: Page, path: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
}
