import { Worker } from 'node:worker_threads';
import type { CallQueueOptions } from './call-queue.js';
import { EngineConnection, type EngineChild } from './engine-connection.js';
import type { EngineOptions, ToEngine } from './engine-messages.js';

export interface EngineThreadData {
  engine: EngineOptions;
  queue?: CallQueueOptions;
}

/**
 * Browser mode's engine: the service in a worker thread (engine-thread-entry.ts), spoken to with
 * Electron's engine protocol, so MaxSim scoring, encoding and SQLite reads never hold up the thread that
 * answers HTTP. The thread starts on the first call or on startAndWait().
 */
export function engineThread(engine: EngineOptions, opts: { queue?: CallQueueOptions } = {}): EngineConnection {
  return new EngineConnection(() => {
    const data: EngineThreadData = { engine, queue: opts.queue };
    const worker = new Worker(new URL('./engine-thread-entry.js', import.meta.url), { workerData: data });
    const child: EngineChild = {
      postMessage: (message: ToEngine) => worker.postMessage(message),
      on: (event: 'message' | 'exit', listener: (value: never) => void) => worker.on(event, listener as (value: unknown) => void),
      once: (event: 'exit', listener: (code: number) => void) => worker.once(event, listener),
      kill: () => {
        void worker.terminate();
        return true;
      },
    };
    return child;
  });
}
