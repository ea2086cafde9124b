import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { OperationControl } from '../../main/contract/api.js';
import { SaegimError } from '../../main/contract/errors.js';
import { arity, METHOD_NAMES, type MethodName, type SaegimApi } from '../../main/contract/methods.js';
import { callPath, type WireError } from '../../main/contract/wire.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const ARTIFACTS = join(ROOT, 'test-artifacts');
const RENDERER_OUT = join(ROOT, 'dist', 'renderer');

export interface AppServer {
  /** The server's origin. */
  url: string;
  /** What a person opens: the origin with the API token, which the page trades for a cookie. */
  pageUrl: string;
  token: string;
  /** The same engine, asked directly over HTTP with the token. */
  api: SaegimApi;
  /** Starts the first run in the background, as `saegim serve` does; it stops before indexing (with `firstRunWhenAsked`). */
  startFirstRun(): void;
  /** Lets the first run go on to index the demo. */
  indexFirstRun(): void;
  close(): Promise<void>;
}

export interface AppServerOptions {
  /** Milliseconds each progress event of a long operation (the first run's too) is held back, so tests can watch and cancel it. */
  progressDelayMs?: number;
  /** Skip the first-run import and indexing of the bundled demo corpus. */
  noDemo?: boolean;
  /**
   * Serve at once and leave the first run (the demo's import, then its indexing) to startFirstRun() and
   * indexFirstRun(), so a page can load while the engine is idle: while it works, its process answers slowly.
   */
  firstRunWhenAsked?: boolean;
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

/** A control whose progress events each hold the operation back by `delayMs` (see slowedApi). */
export function slowedControl(ctl: OperationControl | undefined, delayMs: number): OperationControl | undefined {
  if (delayMs <= 0 || !ctl?.onProgress) return ctl;
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
}

/**
 * Slows long operations down at each progress event, so progress bars and cancel buttons can be driven;
 * everything else is the real engine's behaviour.
 */
export function slowedApi(api: SaegimApi, delayMs: number): SaegimApi {
  if (delayMs <= 0) return api;
  return {
    ...bindAll(api),
    importDataset: (req, ctl) => api.importDataset(req, slowedControl(ctl, delayMs)),
    indexCollection: (req, ctl) => api.indexCollection(req, slowedControl(ctl, delayMs)),
    evaluate: (req, ctl) => api.evaluate(req, slowedControl(ctl, delayMs)),
  };
}

function bindAll(api: SaegimApi): SaegimApi {
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, (api[m] as (...a: unknown[]) => unknown).bind(api)])) as unknown as SaegimApi;
}

/**
 * The API over HTTP with the token, as a test asks the engine behind a page. Long operations run as plain
 * calls here: their progress and cancellation are the page's to drive. Errors come back as SaegimError with
 * the server's code and details.
 */
export function httpApi(origin: string, token: string): SaegimApi {
  const call = async (method: MethodName, args: unknown[]): Promise<unknown> => {
    const res = await fetch(origin + callPath(method), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(args.slice(0, arity(method))),
    });
    const body = (await res.json()) as { result?: unknown; error?: WireError };
    if (body.error) throw new SaegimError(body.error.code, body.error.message, body.error.details);
    return body.result;
  };
  return Object.fromEntries(METHOD_NAMES.map((m) => [m, (...args: unknown[]) => call(m, args)])) as unknown as SaegimApi;
}

/** What app-server.ts prints once it listens, before a JSON object with url, pageUrl and token. */
export const APP_SERVER_READY = 'saegim-app-server ';
/** The lines that tell app-server.ts to start the first run, and to let it go on to indexing. */
export const APP_SERVER_FIRST_RUN = 'first-run';
export const APP_SERVER_FIRST_RUN_INDEX = 'first-run-index';

/**
 * The app as a browser sees it: the built renderer and the real engine (bundled model, demo corpus, a
 * fresh database) behind main/server.ts, in a process of its own as `saegim serve` is. In the test's
 * process, onnxruntime's encoding would hold the event loop that drives Chromium for a whole job.
 */
export async function startAppServer(opts: AppServerOptions = {}): Promise<AppServer> {
  const staticDir = await builtRenderer();
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'vite-node', 'vite-node.mjs'), join(ROOT, 'test', 'browser', 'app-server.ts')], {
    cwd: ROOT,
    env: { ...process.env, SAEGIM_APP_SERVER: JSON.stringify({ ...opts, staticDir }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ready = await new Promise<{ url: string; pageUrl: string; token: string }>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the app server did not start:\n${output}`)), 150_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith(APP_SERVER_READY));
      if (line) {
        clearTimeout(timer);
        done(JSON.parse(line.slice(APP_SERVER_READY.length)) as { url: string; pageUrl: string; token: string });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`the app server exited with ${code}:\n${output}`));
    });
  });
  return {
    ...ready,
    api: httpApi(ready.url, ready.token),
    startFirstRun() {
      child.stdin.write(`${APP_SERVER_FIRST_RUN}\n`);
    },
    indexFirstRun() {
      child.stdin.write(`${APP_SERVER_FIRST_RUN_INDEX}\n`);
    },
    async close() {
      // Closing its stdin asks it to stop; it closes the server and the engine and removes its database.
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
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
