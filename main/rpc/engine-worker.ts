import type { OperationControl } from '../contract/api.js';
import type { SaegimApi } from '../contract/methods.js';
import { toWireError } from '../contract/wire.js';
import { busyMessage, CallQueue, DEFAULT_CALL_QUEUE, HEAVY_METHODS, type CallQueueOptions } from './call-queue.js';
import { invoke } from './dispatch.js';
import type { FromEngine, ToEngine } from './engine-messages.js';
import { throttleProgress } from './progress.js';

/** The message port the engine listens on: Electron's parentPort, a worker thread's, or a stand-in in tests. */
export interface EnginePort {
  postMessage(message: FromEngine): void;
  on(event: 'message', listener: (event: { data: ToEngine }) => void): unknown;
}

export interface ServeEngineOptions {
  /** Bounds on heavy calls (call-queue.ts); the defaults suit an interactive UI. */
  queue?: CallQueueOptions;
}

/**
 * Answers calls on a port with an API: progress throttled before it crosses a thread or process boundary,
 * cancellation by call id, heavy calls through a bounded queue. Calls arrive already validated by the host
 * (rpc/dispatch.ts). Resolves when the port asks for shutdown and the API is closed.
 */
export function serveEngine(port: EnginePort, api: SaegimApi, close: () => Promise<void>, opts: ServeEngineOptions = {}): Promise<void> {
  const send = (message: FromEngine) => port.postMessage(message);
  const running = new Map<string, AbortController>();
  const queueOptions = opts.queue ?? DEFAULT_CALL_QUEUE;
  const queue = new CallQueue(queueOptions);
  return new Promise<void>((stopped) => {
    const call = async (msg: Extract<ToEngine, { type: 'call' }>) => {
      const controller = new AbortController();
      running.set(msg.id, controller);
      const progress = throttleProgress((p) => send({ type: 'progress', id: msg.id, progress: p }));
      const ctl: OperationControl = { signal: controller.signal, onProgress: msg.progress ? progress.onProgress : undefined };
      const work = () => invoke(api, { method: msg.method, args: msg.args }, ctl);
      try {
        if (HEAVY_METHODS.has(msg.method)) {
          const outcome = await queue.run(msg.id, work);
          if (!outcome.ran) {
            const error = outcome.why === 'full' ? { code: 'busy' as const, message: busyMessage(queueOptions) } : { code: 'cancelled' as const, message: `${msg.method} cancelled` };
            send({ type: 'reply', id: msg.id, ok: false, error });
            return;
          }
          progress.flush();
          send({ type: 'reply', id: msg.id, ok: true, result: outcome.value ?? null });
        } else {
          const result = await work();
          progress.flush();
          send({ type: 'reply', id: msg.id, ok: true, result: result ?? null });
        }
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
      else if (msg.type === 'cancel') {
        if (!queue.cancel(msg.id)) running.get(msg.id)?.abort();
      } else if (msg.type === 'shutdown') {
        for (const c of running.values()) c.abort();
        void close().finally(stopped);
      }
    });
    send({ type: 'ready' });
  });
}
