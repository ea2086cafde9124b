import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './server.js';
import { SaegimService } from './service.js';

export interface BrowserModeOptions {
  dbPath: string;
  port: number;
  open: boolean;
  modelDir: string | null;
  demo: boolean;
  staticDir: string;
}

/**
 * The app without Electron: the same renderer and the same engine, over HTTP on 127.0.0.1. The engine
 * runs in this process while the UI runs in the browser's, so heavy work never freezes the page.
 */
export async function serveBrowserMode(opts: BrowserModeOptions): Promise<void> {
  if (!existsSync(join(opts.staticDir, 'index.html'))) {
    throw new Error(`${opts.staticDir}: the renderer is not built — run \`npm run build\` first`);
  }
  const service = SaegimService.open({ dbPath: opts.dbPath, modelDir: opts.modelDir, bundledDataDir: opts.demo ? undefined : null });
  const server = await startServer(service, { port: opts.port, staticDir: opts.staticDir });
  process.stdout.write(`Saegim is running at ${server.url}\n(database: ${opts.dbPath}; Ctrl-C to stop)\n`);
  void service.bootstrap();
  if (opts.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [server.url], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
  }
  const stop = async () => {
    await server.close();
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
