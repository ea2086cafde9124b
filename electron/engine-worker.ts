import type { OperationControl } from '../main/contract/api.js';
import type { SaegimApi } from '../main/contract/methods.js';
import { toWireError } from '../main/contract/wire.js';
import { invoke } from '../main/rpc/dispatch.js';
import { throttleProgress } from '../main/rpc/progress.js';
import { SaegimService } from '../main/service.js';
import type { EngineOptions, FromEngine, ToEngine } from './engine-messages.js';

/** The message port the engine listens on: Electron's parentPort, or a stand-in in tests. */
export interface EnginePort {
  postMessage(message: FromEngine): void;
  on(event: 'message', listener: (event: { data: ToEngine }) => void): unknown;
}

function readOptions(argv: string[]): EngineOptions {
  const at = argv.indexOf('--engine-options');
  if (at < 0 || !argv[at + 1]) throw new Error('the engine process needs --engine-options');
  return JSON.parse(argv[at + 1]!) as EngineOptions;
}

/**
 * Answers calls on a port with an API: progress throttled before it crosses two process boundaries,
 * cancellation by call id. Calls arrive already validated by the main process (ipc-handlers.ts).
 * Resolves when the port asks for shutdown and the API is closed.
 */
export function serveEngine(port: EnginePort, api: SaegimApi, close: () => Promise<void>): Promise<void> {
  const send = (message: FromEngine) => port.postMessage(message);
  const running = new Map<string, AbortController>();
  return new Promise<void>((stopped) => {
    const call = async (msg: Extract<ToEngine, { type: 'call' }>) => {
      const controller = new AbortController();
      running.set(msg.id, controller);
      const progress = throttleProgress((p) => send({ type: 'progress', id: msg.id, progress: p }));
      const ctl: OperationControl = { signal: controller.signal, onProgress: msg.progress ? progress.onProgress : undefined };
      try {
        const result = await invoke(api, { method: msg.method, args: msg.args }, ctl);
        progress.flush();
        send({ type: 'reply', id: msg.id, ok: true, result: result ?? null });
      } catch (err) {
        progress.flush();
        send({ type: 'reply', id: msg.id, ok: false, error: toWireError(err) });
      } finally {
        running.delete(msg.id);
      }
    };
    port.on('message', (event) => {
      const msg = event.data;
      if (msg.type === 'call') void call(msg);
      else if (msg.type === 'cancel') running.get(msg.id)?.abort();
      else if (msg.type === 'shutdown') {
        for (const c of running.values()) c.abort();
        void close().finally(stopped);
      }
    });
    send({ type: 'ready' });
  });
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
