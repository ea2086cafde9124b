import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { SaegimApi } from '../../main/contract/api.js';
import { startServer } from '../../main/server.js';
import { FakeSaegimApi, type FakeApiOptions } from './fake-api.js';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const ARTIFACTS = join(ROOT, 'test-artifacts');
const RENDERER_OUT = join(ROOT, 'dist', 'renderer');

export interface AppServer {
  url: string;
  api: SaegimApi;
  close(): Promise<void>;
}

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), s.mtimeMs);
}

/** dist/renderer, rebuilt with Vite when any renderer source (or a contract it imports) is newer. */
export async function builtRenderer(): Promise<string> {
  const sources = ['renderer', 'main/api.ts', 'main/types.ts', 'main/errors.ts', 'main/http-protocol.ts', 'electron/bridge.ts', 'vite.config.ts'];
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
 * The app as a browser sees it: the built renderer and an API behind main/server.ts. The one place that
 * picks the engine — swap the fake for the real service here.
 */
export async function startAppServer(opts: FakeApiOptions = {}): Promise<AppServer> {
  const api = new FakeSaegimApi({ stepMs: 300, ...opts });
  const server = await startServer(api, { port: 0, staticDir: await builtRenderer() });
  return { url: server.url, api, close: () => server.close() };
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
