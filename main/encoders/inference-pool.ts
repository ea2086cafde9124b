import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';

export interface InferenceWorkerData {
  modelPath: string;
  options: ort.InferenceSession.SessionOptions;
}

export interface InferenceRequest {
  id: number;
  /** int64 inputs by graph input name. */
  feeds: Record<string, { data: BigInt64Array; dims: number[] }>;
  outputs: string[];
}

export interface InferenceReply {
  id: number;
  outputs?: Record<string, { data: Float32Array; dims: number[] }>;
  error?: string;
}

type Ready = { ready: true; inputNames: string[]; outputNames: string[] } | { ready: false; error: string };

interface Slot {
  worker: Worker;
  busy: number;
}

const WORKER_URL = new URL('./inference-worker.js', import.meta.url);

/**
 * onnxruntime sessions in worker threads, each loading the model itself. Requests go to the least busy
 * worker and are answered in any order; the caller keeps several in flight, so the main thread tokenizes,
 * post-processes and writes while a worker runs the model. One worker with every core as intra-op threads
 * is the default; several single-threaded workers run batches side by side instead of splitting each
 * batch's operators, which costs a session (the model's weights) per worker.
 */
export class InferencePool {
  private readonly slots: Slot[];
  private readonly waiting = new Map<number, { resolve: (r: Record<string, { data: Float32Array; dims: number[] }>) => void; reject: (e: Error) => void; slot: Slot }>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(
    workers: Worker[],
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {
    this.slots = workers.map((worker) => ({ worker, busy: 0 }));
    for (const slot of this.slots) {
      slot.worker.on('message', (reply: InferenceReply) => this.answer(slot, reply));
      slot.worker.on('error', (err) => this.fail(err));
      slot.worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`the inference thread exited with code ${code}`));
      });
    }
  }

  /** Whether the compiled worker is there: under a TypeScript test runner only the sources are, and encoding stays on the calling thread. */
  static available(): boolean {
    return existsSync(fileURLToPath(WORKER_URL));
  }

  static async start(modelPath: string, options: ort.InferenceSession.SessionOptions, size: number): Promise<InferencePool> {
    const workers: Worker[] = [];
    try {
      const ready = await Promise.all(
        Array.from({ length: Math.max(1, size) }, () => {
          const worker = new Worker(WORKER_URL, { workerData: { modelPath, options } satisfies InferenceWorkerData });
          workers.push(worker);
          return new Promise<Ready>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
          });
        }),
      );
      const failed = ready.find((r): r is Extract<Ready, { ready: false }> => !r.ready);
      if (failed) throw new Error(failed.error);
      const first = ready[0] as Extract<Ready, { ready: true }>;
      return new InferencePool(workers, first.inputNames, first.outputNames);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
  }

  get size(): number {
    return this.slots.length;
  }

  run(feeds: InferenceRequest['feeds'], outputs: readonly string[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    if (this.failure) return Promise.reject(this.failure);
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.busy < slot.busy) slot = s;
    const id = this.nextId++;
    slot.busy++;
    const transfer = Object.values(feeds).map((f) => f.data.buffer as ArrayBuffer);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, feeds, outputs: [...outputs] } satisfies InferenceRequest, transfer);
    });
  }

  private answer(slot: Slot, reply: InferenceReply): void {
    const pending = this.waiting.get(reply.id);
    if (!pending) return;
    this.waiting.delete(reply.id);
    slot.busy--;
    if (reply.error !== undefined) pending.reject(new Error(reply.error));
    else pending.resolve(reply.outputs!);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const pending of this.waiting.values()) pending.reject(err);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.worker.once('exit', () => resolve());
            s.worker.postMessage('close');
            // A worker stuck in a long batch is not waited for.
            setTimeout(() => void s.worker.terminate().then(() => resolve()), 5000).unref();
          }),
      ),
    );
  }
}

/** Models up to this size (model.onnx and its external data) get one single-threaded session per core. */
export const SMALL_MODEL_BYTES = 1 << 30;

/**
 * How to spread inference over `cores`: for a small model on the CPU, one single-threaded session per
 * core, each running whole batches (no per-operator barriers to wait on, which cost most on a loaded
 * machine or beside the thread that tokenizes and writes); for a large model, or on CUDA, one session
 * with every core, since a session per core would hold the weights once per core. `threads` set by the
 * user means one session with that many threads.
 */
export function inferenceLayout(modelBytes: number, opts: { cores: number; provider: 'cpu' | 'cuda'; threads?: number }): { workers: number; threads: number } {
  if (opts.threads && opts.threads > 0) return { workers: 1, threads: opts.threads };
  if (opts.provider === 'cuda' || modelBytes > SMALL_MODEL_BYTES || opts.cores <= 1) return { workers: 1, threads: Math.max(1, opts.cores) };
  return { workers: opts.cores, threads: 1 };
}

/** Bytes of a model folder's graph and weights (model.onnx and external data files). */
export function modelBytes(dir: string): number {
  let total = 0;
  for (const file of readdirSync(dir)) {
    if (file.startsWith('model.onnx') || file.endsWith('.data') || file.endsWith('.bin')) total += statSync(join(dir, file)).size;
  }
  return total;
}
