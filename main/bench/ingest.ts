import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Progress } from '../contract/api.js';
import { SaegimError } from '../contract/errors.js';
import { inferenceLayout, modelBytes } from '../encoders/inference-pool.js';
import { TokenEncoder } from '../encoders/onnx-encoder.js';
import { importStreaming } from '../indexing/import.js';
import { indexPassages } from '../indexing/indexer.js';
import { bundledModelDir } from '../paths.js';
import { openCollectionBm25 } from '../retrievers/bm25-source.js';
import { SaegimStore } from '../store/store.js';
import { writeKoreanBeirCorpus } from './korean-corpus.js';

export const INGEST_STAGES = ['import', 'bm25', 'encode'] as const;
export type IngestStage = (typeof INGEST_STAGES)[number];

export interface IngestBenchOptions {
  passages: number;
  stages?: IngestStage[];
  model?: string;
  threads?: number;
  workers?: number;
  /** Keep the database here instead of a temporary folder. */
  db?: string;
  seed?: number;
  onProgress?: (line: string) => void;
}

const COLLECTION = 'ingest';

export function parseStages(value: string): IngestStage[] {
  const stages = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of stages) if (!INGEST_STAGES.includes(s as IngestStage)) throw new SaegimError('bad-input', `unknown stage "${s}" (use ${INGEST_STAGES.join(', ')})`);
  return stages as IngestStage[];
}

/**
 * `saegim bench ingest`: generates a BEIR corpus of N Korean passages (bench/korean-corpus.ts) in a
 * temporary folder and times each stage the way the app runs it — the streaming import, BM25 postings
 * built from the stored passages, and encoding with the bundled model — in one process, reporting its
 * peak resident memory and the database's size per passage. Stages not asked for are skipped (the import
 * always runs, since the others read what it stored; without `bm25` it stores no postings).
 */
export async function benchIngest(opts: IngestBenchOptions): Promise<Record<string, number | string>> {
  const stages = new Set<IngestStage>(opts.stages ?? INGEST_STAGES);
  const say = opts.onProgress ?? (() => {});
  const work = mkdtempSync(join(tmpdir(), 'saegim-ingest-'));
  const dbPath = opts.db ? resolve(opts.db) : join(work, 'saegim.db');
  if (opts.db && existsSync(dbPath)) throw new SaegimError('bad-input', `${dbPath} already exists; bench ingest writes a fresh database`);
  const result: Record<string, number | string> = { passages: opts.passages, stages: [...stages].join(','), cores: availableParallelism() };
  let store: SaegimStore | null = null;
  try {
    say(`generating ${opts.passages.toLocaleString('en-US')} passages in ${work}`);
    let t = performance.now();
    const corpus = await writeKoreanBeirCorpus(join(work, 'corpus'), opts.passages, { seed: opts.seed });
    result.generate_s = (performance.now() - t) / 1000;
    result.corpus_bytes = corpus.bytes;
    result.chars_per_passage = corpus.characters / corpus.passages;
    result.queries = corpus.queries;

    store = SaegimStore.open(dbPath);
    let lastSaid = 0;
    const progress = (label: string) => (p: Progress) => {
      const now = performance.now();
      if (now - lastSaid < 5000 && p.done < p.total) return;
      lastSaid = now;
      say(`${label}: ${p.phase} ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}${p.message ? ` · ${p.message}` : ''}`);
    };
    t = performance.now();
    const imported = await importStreaming(store, { path: corpus.dir, name: COLLECTION, format: 'beir' }, { onProgress: progress('import') }, { bm25: stages.has('bm25') });
    result.import_s = imported.readSeconds + imported.publishSeconds;
    result.import_passages_per_s = imported.report.passages / (imported.readSeconds + imported.publishSeconds);
    if (imported.bm25) {
      result.bm25_s = imported.bm25Seconds;
      result.bm25_analyse_s = imported.bm25.analyseSeconds;
      result.bm25_compact_s = imported.bm25.compactSeconds;
      result.bm25_segments = imported.bm25.segments;
      result.bm25_postings = imported.bm25.postings;
      result.import_bm25_s = (performance.now() - t) / 1000;
      const id = store.collection(COLLECTION).id;
      t = performance.now();
      const ranker = openCollectionBm25(store, id);
      ranker.rank('대한민국의 수도', 10);
      result.bm25_first_query_ms = performance.now() - t;
      const queries = store.queries(id).map((q) => q.text);
      t = performance.now();
      for (const q of queries) ranker.rank(q, 10);
      result.bm25_ms_per_query = queries.length > 0 ? (performance.now() - t) / queries.length : 0;
    }

    if (stages.has('encode')) {
      const dir = opts.model ?? bundledModelDir();
      const layout = inferenceLayout(modelBytes(dir), { cores: availableParallelism(), provider: 'cpu', threads: opts.threads });
      const threads = opts.threads ?? layout.threads;
      const workers = opts.workers ?? layout.workers;
      const encoder = await TokenEncoder.load(dir, { threads, workers });
      try {
        const outcome = await indexPassages(store, store.collection(COLLECTION).id, encoder, { precision: 'fp16', onProgress: progress('encode') });
        result.encode_s = outcome.seconds;
        result.encode_tokens = outcome.tokens;
        result.encode_tokens_per_s = outcome.tokens / outcome.seconds;
        result.encode_passages_per_s = outcome.encoded / outcome.seconds;
        result.tokens_per_passage = outcome.tokens / outcome.encoded;
        result.encode_threads = threads;
        result.encode_workers = workers;
      } finally {
        await encoder.close();
      }
    }
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = statSync(dbPath).size + (existsSync(`${dbPath}-wal`) ? statSync(`${dbPath}-wal`).size : 0);
    result.db_bytes = bytes;
    result.db_bytes_per_passage = bytes / opts.passages;
    // resourceUsage's maxRSS is the process's high-water mark (kB), onnxruntime's native memory included.
    result.peak_rss_mb = process.resourceUsage().maxRSS / 1024;
    if (opts.db) result.db = dbPath;
    return result;
  } finally {
    store?.close();
    rmSync(work, { recursive: true, force: true });
  }
}
