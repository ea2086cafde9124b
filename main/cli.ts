import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { EvaluationReport, Progress, SearchResponse } from './contract/api.js';
import { runBenchmark } from './bench/index.js';
import { SaegimError } from './contract/errors.js';
import { parseProjectionSpec, type ProjectionSpec } from './contract/projection.js';
import { describeFusion, describePooling, describeQueryScoring, describeTokenIndex } from './contract/describe.js';
import { fromSqliteError } from './store/sqlite-errors.js';
import { defaultDbPath, packageVersion, rendererDir } from './paths.js';
import type { SaegimApi } from './contract/methods.js';
import { validatingApi } from './rpc/dispatch.js';
import { SaegimService } from './service.js';
import { SEARCH_METHODS, type ExecutionProvider, type SearchMethod } from './contract/types.js';

/** Progress on stderr: one rewritten line on a terminal, a line every few seconds when piped. */
function progressPrinter(label: string): (p: Progress) => void {
  let last = 0;
  const started = Date.now();
  let waitingSaid = '';
  return (p) => {
    if (p.phase === 'waiting') {
      // A wait for another process is said once, on its own line, not redrawn as a bar.
      if (p.message && p.message !== waitingSaid) process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[2K' : ''}${p.message}\n`);
      waitingSaid = p.message ?? '';
      return;
    }
    const now = Date.now();
    const final = p.done >= p.total;
    if (!process.stderr.isTTY && !final && now - last < 2000) return;
    last = now;
    const pct = p.total > 0 ? ((100 * p.done) / p.total).toFixed(1) : '0.0';
    const elapsed = (now - started) / 1000;
    // Indexing says its own ETA, from this run's pace (done also counts what an earlier run encoded).
    const eta = p.done > 0 && p.total > p.done && !p.message?.includes('ETA') ? ` · ETA ${Math.round((elapsed / p.done) * (p.total - p.done))}s` : '';
    const line = `${label}: ${p.phase} ${p.done}/${p.total} (${pct}%)${eta}${p.message ? ` · ${p.message}` : ''}`;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  };
}

function parseMethods(value: string): SearchMethod[] {
  const methods = value.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of methods) if (!SEARCH_METHODS.includes(m as SearchMethod)) throw new InvalidArgumentError(`unknown method "${m}" (use ${SEARCH_METHODS.join(', ')})`);
  return methods as SearchMethod[];
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`expected a port number from 0 to 65535, got "${value}"`);
  return n;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return n;
}

/** Aborts the running operation on Ctrl-C; a second Ctrl-C exits at once. */
function interruptible(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling… (Ctrl-C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return controller.signal;
}

/** The engine behind the same argument validation as HTTP and IPC: the CLI is one more host. */
async function withService<T>(opts: { db?: string; model?: string; provider?: ExecutionProvider }, fn: (api: SaegimApi) => Promise<T>): Promise<T> {
  const service = SaegimService.open({
    dbPath: resolve(opts.db ?? defaultDbPath()),
    modelDir: opts.model ? resolve(opts.model) : null,
    bundledDataDir: null,
    executionProvider: opts.provider,
  });
  try {
    return await fn(validatingApi(service));
  } finally {
    await service.close();
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function printSearch(response: SearchResponse): void {
  for (const result of response.results) {
    const index = result.tokenIndex === 'compressed' ? `, ${describeTokenIndex('compressed')}` : '';
    process.stdout.write(`\n== ${result.method.toUpperCase()}${result.unavailable ? ` (unavailable: ${result.unavailable})` : ` (${result.millis.toFixed(1)} ms${index})`}\n`);
    for (const hit of result.hits) {
      const snippet = hit.text.replace(/\s+/g, ' ').slice(0, 80);
      process.stdout.write(`${String(hit.rank).padStart(3)}  ${hit.score.toFixed(4).padStart(9)}  ${hit.docId}  ${hit.title ? `[${hit.title}] ` : ''}${snippet}\n`);
    }
  }
}

function printEvaluation(report: EvaluationReport): void {
  const k = report.k;
  const cols = [`hit@${k}`, `ndcg@${k}`, `mrr@${k}`, `recall@${k}`];
  process.stdout.write(`\n${report.collection} (${report.split}, ${report.queries} queries)\n`);
  process.stdout.write(`${'method'.padEnd(8)}${cols.map((c) => c.padStart(11)).join('')}\n`);
  for (const [method, values] of Object.entries(report.methods)) {
    process.stdout.write(`${method.padEnd(8)}${cols.map((c) => (values?.[c] ?? 0).toFixed(4).padStart(11)).join('')}\n`);
  }
  for (const [method, why] of Object.entries(report.unavailable)) process.stdout.write(`${method.padEnd(8)}  unavailable: ${why}\n`);
  if (report.queryScoring) process.stdout.write(`MaxSim: ${describeQueryScoring(report.queryScoring)}\n`);
  if (report.tokenIndex) process.stdout.write(`token index: ${describeTokenIndex(report.tokenIndex)}\n`);
  if (report.fusion) process.stdout.write(`hybrid: ${describeFusion(report.fusion)}\n`);
  if (report.pooling) process.stdout.write(`svr: ${describePooling(report.pooling)}\n`);
  for (const s of report.significance) {
    process.stdout.write(`${s.method} vs ${s.baseline} on ${s.metric}: Δ=${s.meanDifference.toFixed(4)}, p=${s.pValue.toFixed(4)}\n`);
  }
}

export function buildProgram(): Command {
  const program = new Command('saegim')
    .description('Korean multi-vector (MaxSim) retrieval: import, index, search, explain, evaluate')
    .version(packageVersion())
    .showHelpAfterError('(saegim --help lists the commands)')
    // Commander throws instead of exiting, so main() decides the exit code and nothing is left half-done.
    .exitOverride();
  const db = () => new Option('--db <file>', 'database file').default(defaultDbPath());
  const provider = () => new Option('--provider <provider>', 'execution provider (cuda needs `npm run cuda`)').choices(['cpu', 'cuda']);

  program
    .command('import <path>')
    .description('import a dataset (KorQuAD/SQuAD JSON, BEIR folder, JSONL, folder of .txt) as a collection')
    .addOption(new Option('--format <format>', 'dataset format').choices(['auto', 'squad', 'beir', 'jsonl', 'txt']).default('auto'))
    .option('--name <name>', 'collection name (default: the file or folder name)')
    .option('--skip-bad', 'import the good records and report the bad ones instead of failing')
    .option('--json', 'print the report as JSON')
    .addOption(db())
    .action(async (path: string, o) => {
      const report = await withService(o, (s) =>
        s.importDataset({ path, format: o.format, name: o.name, skipBad: Boolean(o.skipBad) }, { onProgress: progressPrinter('import'), signal: interruptible() }),
      );
      if (o.json) return printJson(report);
      process.stdout.write(`imported "${report.collection}" (${report.format}): ${report.passages} passages, ${report.queries} queries, ${report.qrels} qrels\n`);
      if (report.emptyPassages) process.stdout.write(`  ${report.emptyPassages} empty passages dropped\n`);
      if (report.duplicatePassagesMerged) process.stdout.write(`  ${report.duplicatePassagesMerged} duplicate passages merged\n`);
      if (report.qrelsWithUnknownQuery + report.qrelsWithUnknownPassage)
        process.stdout.write(`  ${report.qrelsWithUnknownQuery} qrels with unknown query ids, ${report.qrelsWithUnknownPassage} with unknown passage ids dropped\n`);
      for (const issue of report.skipped) process.stdout.write(`  skipped ${issue.file}:${issue.line}${issue.field ? ` (${issue.field})` : ''}: ${issue.reason}\n`);
    });

  program
    .command('index <collection>')
    .description('encode passages into token vectors (resumes where a previous run stopped)')
    .option('--model <dir>', 'model folder (default: the configured or bundled model)')
    .addOption(new Option('--precision <p>', 'vector precision').choices(['fp16', 'fp32']))
    .option('--rebuild', 'drop existing vectors first (to switch models)')
    .addOption(new Option('--index <kind>', 'also build (or update) the compressed token index').choices(['exact', 'compressed']))
    .option('--projection <kind:width>', 'compressed index: reduce the vectors to pca:W or random:W columns (another than the index has re-clusters it)', parseProjection)
    .option('--batch-size <n>', 'passages committed per transaction', parsePositiveInt)
    .option('--json', 'print the report as JSON')
    .addOption(provider())
    .addOption(db())
    .action(async (collection: string, o) => {
      const report = await withService(o, (s) =>
        s.indexCollection(
          { collection, model: o.model ? resolve(o.model) : undefined, precision: o.precision, rebuild: Boolean(o.rebuild), batchSize: o.batchSize, index: o.index, projection: compressedProjection(o) },
          { onProgress: progressPrinter('index'), signal: interruptible() },
        ),
      );
      if (o.json) return printJson(report);
      process.stdout.write(
        `indexed "${report.collection}" with ${report.model.name} (${report.executionProvider}): ${report.encoded} passages encoded, ` +
          `${report.alreadyIndexed} already indexed, ${report.totalIndexed} total, ${report.seconds.toFixed(1)} s, ${Math.round(report.tokensPerSecond)} tokens/s\n`,
      );
    });

  program
    .command('search <collection> <query>')
    .description('rank passages for a query')
    .option('--method <methods>', `comma-separated: ${SEARCH_METHODS.join(',')}`, parseMethods, ['mvr'] as SearchMethod[])
    .option('--k <k>', 'results per method', parsePositiveInt, 10)
    .option('--skip-punctuation', 'leave document punctuation tokens out of MaxSim')
    .addOption(new Option('--index <kind>', 'token index for MVR (default: compressed when built and current)').choices(['exact', 'compressed']))
    .addOption(new Option('--query-scoring <rule>', "MaxSim query weights: model (the model's skiplist / token weights) or plain").choices(['model', 'plain']))
    .addOption(new Option('--fusion <kind>', "hybrid fusion: auto (the model's recorded one, else rrf), rrf or wsum").choices(['auto', 'rrf', 'wsum']))
    .option('--model <dir>', 'model folder')
    .option('--json', 'print JSON')
    .addOption(provider())
    .addOption(db())
    .action(async (collection: string, query: string, o) => {
      const response = await withService(o, (s) => s.search({ collection, query, methods: o.method, k: o.k, skipPunctuation: Boolean(o.skipPunctuation), index: o.index, queryScoring: o.queryScoring, fusion: o.fusion }));
      if (o.json) return printJson(response);
      printSearch(response);
    });

  program
    .command('explain <collection> <query> <docId>')
    .description('token-level MaxSim alignment of a query with one passage')
    .option('--skip-punctuation', 'leave document punctuation tokens out of MaxSim')
    .addOption(new Option('--query-scoring <rule>', "MaxSim query weights: model (the model's skiplist / token weights) or plain").choices(['model', 'plain']))
    .option('--json', 'print JSON')
    .addOption(provider())
    .addOption(db())
    .action(async (collection: string, query: string, docId: string, o) => {
      const ex = await withService(o, (s) => s.explain({ collection, query, docId, skipPunctuation: Boolean(o.skipPunctuation), queryScoring: o.queryScoring }));
      if (o.json) return printJson(ex);
      process.stdout.write(`score ${ex.score.toFixed(4)}, rank ${ex.rank ?? '–'} of "${ex.docId}"\n`);
      ex.queryTokens.forEach((t, i) => {
        const b = ex.best[i]!;
        const d = b >= 0 ? ex.docTokens[b]!.text : '–';
        const weight = t.weight !== undefined && t.weight !== 1 ? `  × ${t.weight.toFixed(2)}` : '';
        process.stdout.write(`${t.text.padEnd(10)} → ${d.padEnd(10)} ${ex.contributions[i]!.toFixed(4)}${weight}\n`);
      });
    });

  program
    .command('eval <dataset>')
    .description('import (once), index and evaluate a dataset with qrels; <dataset> is a path or a collection name')
    .option('--methods <methods>', 'comma-separated methods', parseMethods, [...SEARCH_METHODS] as SearchMethod[])
    .option('--k <k>', 'cut-off', parsePositiveInt, 10)
    .option('--split <split>', 'qrels split', 'test')
    .option('--name <name>', 'collection name for the import')
    .option('--model <dir>', 'model folder')
    .option('--skip-punctuation', 'leave document punctuation tokens out of MaxSim')
    .addOption(new Option('--index <kind>', 'token index for MVR: exact, or compressed (built if missing)').choices(['exact', 'compressed']))
    .option('--projection <kind:width>', 'with --index compressed: its vectors reduced to pca:W or random:W columns', parseProjection)
    .addOption(new Option('--query-scoring <rule>', "MaxSim query weights: model (the model's skiplist / token weights) or plain").choices(['model', 'plain']))
    .addOption(new Option('--fusion <kind>', "hybrid fusion: auto (the model's recorded one, else rrf), rrf or wsum").choices(['auto', 'rrf', 'wsum']))
    .option('--run-dir <dir>', 'write TREC run files and per-query metrics here')
    .option('--json', 'print one JSON object on stdout')
    .addOption(provider())
    .addOption(db())
    .action(async (dataset: string, o) => {
      const signal = interruptible();
      const result = await withService(o, async (s) => {
        let name: string = o.name ?? dataset;
        if (existsSync(dataset)) {
          const path = resolve(dataset);
          const existing = (await s.listCollections()).find((c) => c.source === path && (!o.name || c.name === o.name));
          if (existing) name = existing.name;
          else name = (await s.importDataset({ path, name: o.name ?? uniqueName(basename(path).replace(/\.(json|jsonl)$/i, ''), await s.listCollections()) }, { onProgress: progressPrinter('import'), signal })).collection;
        }
        const vector = (o.methods as SearchMethod[]).some((m) => m !== 'bm25');
        if (vector) {
          const info = await s.info();
          if (info.model || o.model) {
            const projection = compressedProjection(o);
            await s.indexCollection({ collection: name, model: o.model ? resolve(o.model) : undefined, index: o.index === 'compressed' ? 'compressed' : undefined, projection }, { onProgress: progressPrinter('index'), signal });
          }
        }
        return s.evaluate({ collection: name, methods: o.methods, k: o.k, split: o.split, skipPunctuation: Boolean(o.skipPunctuation), index: o.index, queryScoring: o.queryScoring, fusion: o.fusion }, { onProgress: progressPrinter('eval'), signal });
      });
      if (o.runDir) writeRunDir(resolve(o.runDir), result);
      for (const [method, why] of Object.entries(result.unavailable)) process.stderr.write(`${method}: unavailable — ${why}\n`);
      if (o.json) {
        const keep = [`hit@${o.k}`, `ndcg@${o.k}`, `mrr@${o.k}`, `recall@${o.k}`];
        const methods = Object.fromEntries(Object.entries(result.methods).map(([m, v]) => [m, Object.fromEntries(keep.map((key) => [key, v?.[key] ?? 0]))]));
        const how = { queryScoring: result.queryScoring, fusion: result.fusion, pooling: result.pooling, tokenIndex: result.tokenIndex };
        process.stdout.write(`${JSON.stringify({ dataset: result.collection, queries: result.queries, methods, ...how })}\n`);
        return;
      }
      printEvaluation(result);
    });

  program
    .command('list')
    .description('collections with their passage, query and indexed counts')
    .option('--json', 'print JSON')
    .addOption(db())
    .action(async (o) => {
      const collections = await withService(o, (s) => s.listCollections());
      if (o.json) return printJson(collections);
      if (collections.length === 0) process.stdout.write('no collections yet — try: saegim import assets/datasets/demo-ko\n');
      for (const c of collections) {
        process.stdout.write(
          `${c.name}  ${c.format}  passages ${c.passages}  queries ${c.queries}  qrels ${c.qrels}  indexed ${c.indexed}/${c.passages}` +
            `${c.model ? `  model ${c.model.name}` : ''}  ${(c.indexBytes / 1e6).toFixed(1)} MB\n`,
        );
      }
    });

  program
    .command('delete <collection>')
    .description('delete a collection and its index')
    .addOption(db())
    .action(async (collection: string, o) => {
      await withService(o, (s) => s.deleteCollection(collection));
      process.stdout.write(`deleted "${collection}"\n`);
    });

  program
    .command('serve')
    .description('browser mode: serve the app and its API on 127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', parsePort, 5217)
    .option('--token <token>', 'a fixed API token for scripts (default: $SAEGIM_TOKEN, else a fresh random one)')
    .option('--open', 'open the app in the default browser')
    .option('--model <dir>', 'model folder')
    .option('--no-demo', 'do not import the bundled demo corpus on first run')
    .addOption(db())
    .action(async (o) => {
      const { serveBrowserMode } = await import('./browser-mode.js');
      const token: string | undefined = o.token ?? (process.env.SAEGIM_TOKEN || undefined);
      await serveBrowserMode({
        dbPath: resolve(o.db),
        port: o.port,
        open: Boolean(o.open),
        modelDir: o.model ? resolve(o.model) : null,
        demo: o.demo !== false,
        staticDir: rendererDir(),
        token,
      });
    });

  program
    .command('bench <what>')
    .description('benchmarks: maxsim | bm25 | encode | ingest | burst | scale')
    .option('--docs <n>', 'documents', parsePositiveInt)
    .option('--doc-tokens <n>', 'tokens per document', parsePositiveInt)
    .option('--query-tokens <n>', 'tokens per query', parsePositiveInt)
    .option('--dim <n>', 'vector width', parsePositiveInt)
    .option('--queries <n>', 'queries', parsePositiveInt)
    .addOption(new Option('--precision <p>', 'vector precision').choices(['fp16', 'fp32']))
    .option('--threads <n>', 'threads', parsePositiveInt)
    .addOption(new Option('--kernel <k>', 'maxsim: the exact kernel (default: native where it was built)').choices(['native', 'onnx']))
    .option('--model <dir>', 'model folder (encode, burst)')
    .option('--workers <n>', 'encode, ingest: onnxruntime sessions in worker threads (0: main thread)', (v) => (v === '0' ? 0 : parsePositiveInt(v)))
    .option('--peer', 'encode: also time the onnxruntime-Python peer (tools/bench_encode_ort.py); maxsim: maxsim-cpu and numpy (tools/bench_maxsim_peers.py), in the same run')
    .option('--rounds <n>', 'encode, maxsim --peer: timed runs of each engine (medians reported)', parsePositiveInt)
    .option('--stages <list>', 'ingest: stages to time, comma-separated (import,bm25,encode)')
    .option('--passages <n>', 'passages in the generated collection (burst, ingest)', parsePositiveInt)
    .option('--searches <n>', 'concurrent searches (burst)', parsePositiveInt)
    .option('--in-process', 'burst: run the engine on the HTTP thread, for comparison')
    .option('--db <file>', 'burst, ingest: index into this database (kept) instead of a temporary one')
    .addOption(new Option('--nbits <b>', 'scale: residual bits per dimension').choices(['1', '2', '4']).argParser((v) => Number(v) as 1 | 2 | 4))
    .option('--centroids <n>', 'scale: k-means centroids (default grows with the token count)', parsePositiveInt)
    .option('--nprobe <n>', 'scale: cells probed per query token', parsePositiveInt)
    .option('--candidates <n>', 'scale: passages kept after centroid scoring', parsePositiveInt)
    .option('--centroid-threshold <x>', 'scale: centroid scores below this are pruned', parseFloat)
    .option('--noise <x>', 'scale: Gaussian noise norm added to each synthetic token vector (default 0.3)', parseFloat)
    .option('--projection <kind:width>', 'scale: build the compressed index on pca:W or random:W projected vectors')
    .option('--muvera <r,bits,proj>', 'scale: also measure MUVERA encodings as the candidate generator, e.g. 20,5,16')
    .option('--exact-chunk <n>', 'scale: passages held by the exact scan at once (default 200000)', parsePositiveInt)
    .option('--index-dir <dir>', 'scale: keep the built index and exact results here; a later run over the same corpus reuses them')
    .option('--json', 'print JSON')
    .action(async (what: string, o) => {
      const result = await runBenchmark(what, o);
      if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else for (const [key, value] of Object.entries(result)) process.stdout.write(`${key}: ${typeof value === 'number' ? Number(value.toFixed(3)) : value}\n`);
    });

  return program;
}

/** `--projection pca:128` → { kind, dim }; refused with the flag's name when malformed. */
function parseProjection(value: string): ProjectionSpec {
  const spec = parseProjectionSpec(value.trim());
  if (!spec) throw new InvalidArgumentError(`expected pca:WIDTH or random:WIDTH (e.g. pca:128), got "${value}"`);
  return spec;
}

/** The projection flag, which only means something for the compressed index. */
function compressedProjection(o: { projection?: ProjectionSpec; index?: string }): ProjectionSpec | undefined {
  if (o.projection && o.index !== 'compressed') throw new SaegimError('bad-input', '--projection needs --index compressed');
  return o.projection;
}

function uniqueName(base: string, existing: Array<{ name: string }>): string {
  const taken = new Set(existing.map((c) => c.name));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

function writeRunDir(dir: string, report: EvaluationReport): void {
  mkdirSync(dir, { recursive: true });
  for (const [method, run] of Object.entries(report.runs)) writeFileSync(join(dir, `${method}.trec`), run ?? '');
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...report, runs: undefined }, null, 2));
  process.stderr.write(`runs written to ${dir}\n`);
}

/** System errors a user can act on, in words. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
};

/**
 * One line on stderr for any failure, and the exit code. A user's mistake or the machine's state (a missing
 * file, a locked database, a bad flag) never prints a stack trace; an internal error does only with
 * SAEGIM_DEBUG=1.
 */
export function reportFailure(err: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): number {
  if (err instanceof CommanderError) return err.exitCode; // commander has already said what was wrong
  const failure = fromSqliteError(err, 'saegim');
  if (failure instanceof SaegimError) {
    write(`saegim: ${failure.message}\n`);
    return failure.code === 'cancelled' ? 130 : 1;
  }
  const e = failure as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && SYSTEM_ERRORS[e.code]) {
    write(`saegim: ${e.path ? `${e.path}: ` : ''}${SYSTEM_ERRORS[e.code]}${e.syscall ? ` (${e.syscall})` : ''}\n`);
    return 1;
  }
  if (process.env.SAEGIM_DEBUG === '1') write(`saegim: internal error: ${(e as Error)?.stack ?? String(err)}\n`);
  else write(`saegim: internal error: ${(e as Error)?.message ?? String(err)} (run with SAEGIM_DEBUG=1 for details)\n`);
  return 70;
}

export async function main(argv = process.argv): Promise<void> {
  const fail = (err: unknown) => {
    process.exitCode = reportFailure(err);
  };
  process.on('uncaughtException', (err) => {
    fail(err);
    process.exit();
  });
  process.on('unhandledRejection', (err) => {
    fail(err);
    process.exit();
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    fail(err);
  }
}
