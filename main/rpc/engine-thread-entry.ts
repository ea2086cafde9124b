import { parentPort, workerData } from 'node:worker_threads';
import { SaegimService } from '../service.js';
import type { FromEngine, ToEngine } from './engine-messages.js';
import type { EngineThreadData } from './engine-thread.js';
import { serveEngine } from './engine-worker.js';

/** The worker thread's side of engine-thread.ts: the service, answering on the thread's port. */
async function run(): Promise<void> {
  const port = parentPort!;
  const { engine, queue } = workerData as EngineThreadData;
  let service: SaegimService;
  try {
    service = SaegimService.open({ dbPath: engine.dbPath, modelDir: engine.modelDir, ...(engine.demo ? {} : { bundledDataDir: null }) });
  } catch (err) {
    port.postMessage({ type: 'fatal', message: (err as Error).message } satisfies FromEngine);
    port.close();
    return;
  }
  void service.bootstrap();
  await serveEngine(
    { postMessage: (m) => port.postMessage(m), on: (_event, listener) => port.on('message', (data: ToEngine) => listener({ data })) },
    service,
    () => service.close(),
    { queue },
  );
  port.close();
}

void run();
