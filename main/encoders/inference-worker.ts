import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { InferenceReply, InferenceRequest, InferenceWorkerData } from './inference-pool.js';

/**
 * One onnxruntime session in a worker thread (encoders/inference-pool.ts): `run` is synchronous inside
 * onnxruntime-node, so a session on the main thread stops tokenizing, post-processing and SQLite writes
 * for as long as each batch takes.
 */
const init = workerData as InferenceWorkerData;
const port = parentPort!;

async function start(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(init.modelPath, init.options);
  } catch (err) {
    port.postMessage({ ready: false, error: (err as Error).message });
    return;
  }
  port.postMessage({ ready: true, inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
  port.on('message', async (request: InferenceRequest | 'close') => {
    if (request === 'close') {
      await session.release();
      port.close();
      return;
    }
    let reply: InferenceReply;
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, feed] of Object.entries(request.feeds)) feeds[name] = new ort.Tensor('int64', feed.data, feed.dims);
      const fetched = await session.run(feeds, request.outputs);
      const outputs: NonNullable<InferenceReply['outputs']> = {};
      for (const name of request.outputs) {
        const out = fetched[name]!;
        outputs[name] = { data: out.type === 'float32' ? (out.data as Float32Array) : Float32Array.from(out.data as ArrayLike<number>), dims: [...out.dims] };
      }
      reply = { id: request.id, outputs };
    } catch (err) {
      port.postMessage({ id: request.id, error: (err as Error).message } satisfies InferenceReply);
      return;
    }
    const buffers = Object.values(reply.outputs!).map((o) => o.data.buffer as ArrayBuffer);
    try {
      port.postMessage(reply, buffers);
    } catch {
      // A tensor whose memory onnxruntime keeps cannot be transferred; a copy can.
      const copies = Object.fromEntries(Object.entries(reply.outputs!).map(([name, o]) => [name, { data: o.data.slice(), dims: o.dims }]));
      port.postMessage({ id: reply.id, outputs: copies } satisfies InferenceReply);
    }
  });
}

void start();
