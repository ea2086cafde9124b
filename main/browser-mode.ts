import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SaegimError } from './contract/errors.js';
import type { CallQueueOptions } from './rpc/call-queue.js';
import { engineApi } from './rpc/engine-proxy.js';
import { engineThread } from './rpc/engine-thread.js';
import { startServer, type RunningServer } from './server.js';

export interface BrowserModeOptions {
  dbPath: string;
  port: number;
  open: boolean;
  modelDir: string | null;
  demo: boolean;
  staticDir: string;
  /** A fixed API token (`--token`, SAEGIM_TOKEN) for scripts; a fresh random one when absent. */
  token?: string;
  queue?: CallQueueOptions;
}

export interface BrowserMode {
  server: RunningServer;
  stop(): Promise<void>;
}

/** Tokens travel in URLs, headers and cookies unescaped, and a short one could be guessed. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;

export function checkToken(token: string): string {
  if (!TOKEN_PATTERN.test(token)) {
    throw new SaegimError('bad-input', 'the API token must be 16 to 256 characters of A-Z, a-z, 0-9, ".", "_", "~" or "-"');
  }
  return token;
}

/**
 * The app without Electron: the same renderer and the same engine, over HTTP on 127.0.0.1. The engine
 * runs in a worker thread (rpc/engine-thread.ts) behind the protocol Electron's utility process speaks,
 * so this thread only answers HTTP and a burst of searches cannot hold up a cheap call.
 */
export async function startBrowserMode(opts: BrowserModeOptions): Promise<BrowserMode> {
  if (!existsSync(join(opts.staticDir, 'index.html'))) {
    throw new SaegimError('not-found', `${opts.staticDir}: the renderer is not built — run \`npm run build\` first`);
  }
  const token = opts.token === undefined ? undefined : checkToken(opts.token);
  const engine = engineThread({ dbPath: opts.dbPath, modelDir: opts.modelDir, demo: opts.demo }, { queue: opts.queue });
  // The port first: when it is taken there is nothing to undo, and the engine has not been loaded for nothing.
  let server: RunningServer;
  try {
    server = await startServer(engineApi(engine), { port: opts.port, staticDir: opts.staticDir, token });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new SaegimError('busy', `port ${opts.port} on 127.0.0.1 is already in use (another Saegim?): choose another with --port N, or --port 0 for any free port`);
    }
    if (code === 'EACCES') throw new SaegimError('bad-input', `port ${opts.port} needs privileges this user lacks: choose one above 1023 with --port N`);
    throw err;
  }
  try {
    await engine.startAndWait();
  } catch (err) {
    await server.close();
    await engine.stop();
    throw new SaegimError('internal', `the engine could not start: ${(err as Error).message}`);
  }
  let stopping: Promise<void> | null = null;
  return {
    server,
    stop() {
      stopping ??= (async () => {
        await server.close();
        await engine.stop();
      })();
      return stopping;
    },
  };
}

/** `saegim serve`: runs until SIGINT or SIGTERM, then closes the server and the engine's database. */
export async function serveBrowserMode(opts: BrowserModeOptions): Promise<void> {
  const mode = await startBrowserMode(opts);
  const { server } = mode;
  process.stdout.write(`Saegim is running at ${server.pageUrl}\n(database: ${opts.dbPath}; Ctrl-C to stop)\n`);
  if (opts.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [server.pageUrl], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
  }
  const stop = () => {
    // A second signal, or a close that hangs, must still end the process and free the port.
    setTimeout(() => process.exit(1), 10_000).unref();
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
    void mode.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);
  // Started by `npm start` (scripts/start.mjs) with an IPC channel: when that process goes, so does this one.
  if (process.channel) {
    process.once('disconnect', stop);
    process.channel.unref();
  }
}
