import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { inferenceLayout, modelBytes } from '../encoders/inference-pool.js';
import { TokenEncoder } from '../encoders/onnx-encoder.js';
import { SaegimError } from '../contract/errors.js';
import { bundledDatasetDir, bundledModelDir, packageRoot } from '../paths.js';

export interface EncodeBenchOptions {
  model?: string;
  docs?: number;
  /** onnxruntime intra-op threads per session (default: as indexing runs, encoders/inference-pool.ts inferenceLayout). */
  threads?: number;
  /** Sessions in worker threads (default: as indexing runs; 0: on this thread). */
  workers?: number;
  /** Also run tools/bench_encode_ort.py (onnxruntime-Python) on the same texts, alternating with ours. */
  peer?: boolean;
  /** Timed runs of each engine; the medians are reported (default 1, 3 with the peer). */
  rounds?: number;
}

export function benchTexts(n: number): string[] {
  const corpus = join(bundledDatasetDir(), 'corpus.jsonl');
  const texts = existsSync(corpus)
    ? readFileSync(corpus, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const row = JSON.parse(line) as { title?: string; text: string };
          return row.title ? `${row.title}\n${row.text}` : row.text;
        })
    : ['서울은 대한민국의 수도이며 한강이 도시를 가로질러 흐른다.'];
  return Array.from({ length: n }, (_, i) => texts[i % texts.length]!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The Python interpreter for the peer: the project's .venv when there is one. */
function peerPython(): string {
  const venv = join(packageRoot(), '.venv', 'bin', 'python');
  return process.env.SAEGIM_PYTHON ?? (existsSync(venv) ? venv : 'python3');
}

/** One run of the onnxruntime-Python peer; its JSON report. */
export function runEncodePeer(opts: { model: string; docs: number; threads: number }): { tokens_per_s: number; tokens: number; engine: string } {
  const script = join(packageRoot(), 'tools', 'bench_encode_ort.py');
  const run = spawnSync(peerPython(), [script, '--model', opts.model, '--docs', String(opts.docs), '--threads', String(opts.threads)], { encoding: 'utf8' });
  if (run.status !== 0) throw new SaegimError('internal', `the onnxruntime-Python peer failed (${peerPython()} ${script}): ${(run.stderr || run.error?.message || '').trim().split('\n').at(-1)}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { tokens_per_s: number; tokens: number; engine: string };
}

/**
 * Encoding throughput on real Korean passages (the bundled demo corpus, repeated as needed), the way
 * indexing runs it: length-bucketed batches of at most 4,096 padded tokens, the model in worker threads
 * laid out as indexing lays them out (for the bundled model, one single-threaded session per core). With `peer`, onnxruntime-Python runs the same model on the same texts in the same
 * batches between our runs, so both figures come from one run on one machine's load.
 */
export async function benchEncode(opts: EncodeBenchOptions = {}): Promise<Record<string, number | string>> {
  const dir = opts.model ?? bundledModelDir();
  if (!existsSync(dir)) throw new SaegimError('model-missing', `no model at ${dir} (pass --model DIR)`);
  const n = opts.docs ?? 256;
  const layout = inferenceLayout(modelBytes(dir), { cores: availableParallelism(), provider: 'cpu', threads: opts.threads });
  const threads = opts.threads ?? layout.threads;
  const workers = opts.workers ?? layout.workers;
  const rounds = Math.max(1, opts.rounds ?? (opts.peer ? 3 : 1));
  const batch = benchTexts(n);
  const encoder = await TokenEncoder.load(dir, { threads, workers });
  try {
    await encoder.encodeDocuments(batch.slice(0, Math.min(16, n)));
    const ours: number[] = [];
    const peer: number[] = [];
    let tokens = 0;
    let seconds = 0;
    let peerTokens = 0;
    let peerEngine = '';
    // The peer's one session gets every core our sessions share between them.
    const peerThreads = threads * Math.max(1, workers);
    for (let r = 0; r < rounds; r++) {
      const started = performance.now();
      const out = await encoder.encodeDocuments(batch);
      seconds = (performance.now() - started) / 1000;
      tokens = out.reduce((sum, e) => sum + e.vectors.length, 0);
      ours.push(tokens / seconds);
      if (opts.peer) {
        const p = runEncodePeer({ model: dir, docs: n, threads: peerThreads });
        peer.push(p.tokens_per_s);
        peerTokens = p.tokens;
        peerEngine = p.engine;
      }
    }
    const result: Record<string, number | string> = {
      model: encoder.name,
      provider: encoder.executionProvider,
      threads,
      workers,
      passages: n,
      tokens,
      tokens_per_s: median(ours),
      passages_per_s: (n * median(ours)) / tokens,
      seconds,
      rounds,
    };
    if (opts.peer) {
      if (peerTokens !== tokens) throw new SaegimError('internal', `the peer kept ${peerTokens} tokens where we kept ${tokens}: not the same work`);
      result.peer = peerEngine;
      result.peer_threads = peerThreads;
      result.peer_tokens_per_s = median(peer);
      result.ratio_vs_peer = median(ours) / median(peer);
      result.runs = ours.map((x, i) => `${Math.round(x)}/${Math.round(peer[i]!)}`).join(' ');
    }
    return result;
  } finally {
    await encoder.close();
  }
}
