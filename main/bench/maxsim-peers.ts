import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SaegimError } from '../contract/errors.js';
import { packageRoot } from '../paths.js';
import { benchMaxSim, type MaxSimBenchOptions, type MaxSimBenchResult } from './maxsim.js';

/** The interpreter with maxsim-cpu (tools/requirements-bench.txt): SAEGIM_BENCH_PYTHON, else .venv-bench. */
function benchPython(): string {
  const venv = join(packageRoot(), '.venv-bench', 'bin', 'python');
  return process.env.SAEGIM_BENCH_PYTHON ?? (existsSync(venv) ? venv : 'python3');
}

interface PeerReport {
  numpy_docs_per_s: number;
  maxsim_cpu_docs_per_s: number | null;
  maxsim_cpu_version?: string;
  numpy_version: string;
}

function runPeers(opts: MaxSimBenchOptions): PeerReport {
  const script = join(packageRoot(), 'tools', 'bench_maxsim_peers.py');
  const env = { ...process.env };
  // OpenBLAS tuned for another core type (set on the development machines) would slow numpy's sgemm.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [script, '--docs', String(opts.docs), '--doc-tokens', String(opts.docTokens), '--query-tokens', String(opts.queryTokens), '--dim', String(opts.dim)];
  const run = spawnSync(benchPython(), args, { encoding: 'utf8', env });
  if (run.status !== 0) {
    const why = (run.stderr || run.error?.message || '').trim().split('\n').at(-1);
    throw new SaegimError('internal', `the MaxSim peers failed (${benchPython()} ${script}; install them with tools/requirements-bench.txt): ${why}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as PeerReport;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The exact kernel against maxsim-cpu (mixedbread) and numpy on the same workload, in rounds that alternate
 * ours and theirs so that every figure sees the same machine load; medians over the rounds of each side's fastest
 * query. Ours is fp32 here, as the peers are: the index's default kernel, and onnxruntime's graph beside it
 * when the default is the native one.
 */
export async function benchMaxSimWithPeers(opts: MaxSimBenchOptions, rounds = 3): Promise<Record<string, unknown>> {
  const ours: MaxSimBenchResult[] = [];
  const onnx: MaxSimBenchResult[] = [];
  const peers: PeerReport[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(await benchMaxSim({ ...opts, precision: 'fp32', maskedShare: 0 }));
    if (ours[0]!.kernel !== 'onnx' && !opts.kernel) onnx.push(await benchMaxSim({ ...opts, precision: 'fp32', maskedShare: 0, kernel: 'onnx' }));
    peers.push(runPeers(opts));
  }
  // The peers report their best of five runs; ours is put on the same footing (fastest of its timed queries).
  const best = (o: MaxSimBenchResult) => o.docs / (o.best_ms_per_query / 1000);
  const saegim = median(ours.map(best));
  const mxs = peers.every((p) => p.maxsim_cpu_docs_per_s !== null) ? median(peers.map((p) => p.maxsim_cpu_docs_per_s!)) : null;
  const numpy = median(peers.map((p) => p.numpy_docs_per_s));
  return {
    docs: opts.docs,
    doc_tokens: opts.docTokens,
    query_tokens: opts.queryTokens,
    dim: opts.dim,
    rounds,
    threads: ours[0]!.threads,
    kernel: ours[0]!.kernel,
    best_docs_per_s: saegim,
    best_docs_per_s_rounds: ours.map(best),
    mean_docs_per_s_rounds: ours.map((o) => o.docs_per_s),
    maxsim_cpu_docs_per_s: mxs,
    maxsim_cpu_rounds: peers.map((p) => p.maxsim_cpu_docs_per_s),
    numpy_docs_per_s: numpy,
    numpy_rounds: peers.map((p) => p.numpy_docs_per_s),
    speedup_vs_maxsim_cpu: mxs ? saegim / mxs : null,
    speedup_vs_numpy: saegim / numpy,
    onnx_docs_per_s: onnx.length > 0 ? median(onnx.map(best)) : null,
    onnx_rounds: onnx.map(best),
    maxsim_cpu_version: peers[0]!.maxsim_cpu_version ?? null,
    numpy_version: peers[0]!.numpy_version,
  };
}
