import Database from 'better-sqlite3';
import { mulberry32 } from '../eval/significance.js';
import { Bm25Index } from '../search/bm25.js';
import { SCHEMA } from '../store/schema.js';
import { Bm25PostingsStore, buildBm25FromDocuments, documentIds, type Bm25Ranker } from '../store/bm25-postings.js';

export interface Bm25BenchOptions {
  /** Synthetic passages to generate (ignored when `passages` is given). */
  docs?: number;
  /** Queries to time (synthetic ones are drawn from the passages; ignored when `queryTexts` is given). */
  queries?: number;
  seed?: number;
  /** Real passages to index instead of synthetic text (title + text already joined). */
  passages?: Array<{ id: string; text: string }>;
  queryTexts?: string[];
  /** Hits per query. */
  k?: number;
}

export interface Bm25BenchResult {
  docs: number;
  queries: number;
  k: number;
  /** Mean analysed terms (bigrams and words) per passage. */
  avg_doc_terms: number;
  vocabulary: number;
  postings: number;
  /** Analysing and indexing every passage. */
  index_ms: number;
  queries_per_s: number;
  ms_per_query: number;
  p50_ms: number;
  p99_ms: number;
  /** Size of the postings as the store keeps them (JSON), and the time to reload them without re-analysis. */
  postings_json_bytes: number;
  reload_ms: number;
  /** The store's per-term rows (store/bm25-postings.ts) in an in-memory SQLite database: build, size, load, speed. */
  rows_build_ms: number;
  rows_bytes: number;
  /** Loading the rows into the in-memory scorer (what collections up to IN_MEMORY_POSTINGS_LIMIT get). */
  rows_load_in_memory_ms: number;
  rows_in_memory_queries_per_s: number;
  /** Opening the row scorer (larger collections), and its speed: one indexed lookup per query term. */
  rows_load_row_scorer_ms: number;
  rows_row_scorer_queries_per_s: number;
}

/**
 * Common syllables of Korean prose: stems are drawn from these, so bigram statistics resemble real text
 * (a few very frequent bigrams, a long tail) rather than uniform noise that would make every posting short.
 */
const SYLLABLES = Array.from(
  '가각간갈감강개거건결경계고공과관교구국군권귀그근금기김나남내년노는다단당대도동두드등라래로록료류리마만말매면명모목무문물미민바반발방백법변보복본부분불사산상새생서석선설성세소속수시식신실심아안암약양어언업여역연영예오왕외요용우운원위유육은음의이인일자작장재전정제조종주중지진질차찰창천청체초최추출치카타태토통트파판평포표품프하학한할함합해행향허현형호화활회효후흥',
);
const PARTICLES = ['은', '는', '이', '가', '을', '를', '의', '에', '에서', '으로', '와', '과', '도', '만', '이다', '하였다', '했다', '된다'];

/** Inverse-CDF sampler over ranks with weight 1 / (rank + 1): Zipf's law for word frequencies. */
function zipfSampler(size: number, random: () => number): () => number {
  const cdf = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) cdf[r] = total += 1 / (r + 1);
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Seeded Korean-like passages and queries: Zipf-distributed stems of 1–3 syllables, particles attached. */
export function syntheticKoreanCorpus(docs: number, queries: number, seed: number): { passages: Array<{ id: string; text: string }>; queryTexts: string[] } {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const syllable = zipfSampler(SYLLABLES.length, random);
  const stems = Array.from({ length: 5000 }, () => {
    const length = random() < 0.2 ? 1 : random() < 0.75 ? 2 : 3;
    return Array.from({ length }, () => SYLLABLES[syllable()]!).join('');
  });
  const stem = zipfSampler(stems.length, random);
  const eojeol = () => stems[stem()]! + (random() < 0.7 ? pick(PARTICLES) : '');
  const passages = Array.from({ length: docs }, (_, i) => {
    const words = Array.from({ length: 60 + Math.floor(random() * 80) }, eojeol);
    return { id: `d${i}`, text: words.join(' ') };
  });
  const queryTexts = Array.from({ length: queries }, () => {
    // Words from one passage, re-inflected: a question about it that shares stems but not endings.
    const source = pick(passages).text.split(' ');
    const length = 3 + Math.floor(random() * 5);
    const start = Math.floor(random() * Math.max(1, source.length - length));
    return source
      .slice(start, start + length)
      .map((w) => (random() < 0.5 ? w : w.slice(0, -1) + pick(PARTICLES)))
      .join(' ');
  });
  return { passages, queryTexts };
}

/** `saegim bench bm25`: indexing time, query throughput and latency, postings size and reload time. */
export async function benchBm25(opts: Bm25BenchOptions = {}): Promise<Bm25BenchResult> {
  const k = opts.k ?? 10;
  const synthetic = !opts.passages || !opts.queryTexts ? syntheticKoreanCorpus(opts.docs ?? 1000, opts.queries ?? 2000, opts.seed ?? 1) : null;
  const passages = opts.passages ?? synthetic!.passages;
  const queryTexts = opts.queryTexts ?? synthetic!.queryTexts;

  const t0 = performance.now();
  const index = Bm25Index.build(passages);
  const indexMs = performance.now() - t0;

  for (const q of queryTexts.slice(0, 100)) index.rank(q, k);
  const latencies = new Float64Array(queryTexts.length);
  const t1 = performance.now();
  for (let i = 0; i < queryTexts.length; i++) {
    const start = performance.now();
    index.rank(queryTexts[i]!, k);
    latencies[i] = performance.now() - start;
  }
  const seconds = (performance.now() - t1) / 1000;
  latencies.sort();
  const quantile = (q: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);

  const saved = index.toPostings();
  const json = JSON.stringify(saved);
  const t2 = performance.now();
  Bm25Index.fromPostings(JSON.parse(json));
  const reloadMs = performance.now() - t2;

  const db = new Database(':memory:');
  db.exec(SCHEMA);
  db.prepare(`INSERT INTO collections (id, name, format, source, created_at) VALUES (1, 'bench', 'jsonl', '-', '')`).run();
  const insert = db.prepare(`INSERT INTO documents (collection_id, ord, doc_id, text) VALUES (1, ?, ?, ?)`);
  db.transaction(() => passages.forEach((p, ord) => insert.run(ord, p.id, p.text)))();
  const store = new Bm25PostingsStore(db);
  const t3 = performance.now();
  buildBm25FromDocuments(store, 1);
  const rowsBuildMs = performance.now() - t3;
  const speed = (ranker: Bm25Ranker) => {
    for (const q of queryTexts.slice(0, 100)) ranker.rank(q, k);
    const started = performance.now();
    for (const q of queryTexts) ranker.rank(q, k);
    const s = (performance.now() - started) / 1000;
    return s > 0 ? queryTexts.length / s : 0;
  };
  const t4 = performance.now();
  const inMemory = store.open(1, documentIds(db, 1), { inMemoryLimit: Infinity })!;
  const rowsLoadInMemoryMs = performance.now() - t4;
  const t5 = performance.now();
  const rowScorer = store.open(1, documentIds(db, 1), { inMemoryLimit: 0 })!;
  const rowsLoadRowScorerMs = performance.now() - t5;
  const rowsInMemoryQps = speed(inMemory);
  const rowScorerQps = speed(rowScorer);
  const rowsBytes = store.stats(1)!.bytes;
  db.close();

  return {
    docs: index.size,
    queries: queryTexts.length,
    k,
    avg_doc_terms: saved.docIds.length > 0 ? saved.docLengths.reduce((a, b) => a + b, 0) / saved.docIds.length : 0,
    vocabulary: index.vocabularySize,
    postings: index.postingCount,
    index_ms: indexMs,
    queries_per_s: seconds > 0 ? queryTexts.length / seconds : 0,
    ms_per_query: queryTexts.length > 0 ? (seconds * 1000) / queryTexts.length : 0,
    p50_ms: quantile(0.5),
    p99_ms: quantile(0.99),
    postings_json_bytes: Buffer.byteLength(json, 'utf8'),
    reload_ms: reloadMs,
    rows_build_ms: rowsBuildMs,
    rows_bytes: rowsBytes,
    rows_load_in_memory_ms: rowsLoadInMemoryMs,
    rows_in_memory_queries_per_s: rowsInMemoryQps,
    rows_load_row_scorer_ms: rowsLoadRowScorerMs,
    rows_row_scorer_queries_per_s: rowScorerQps,
  };
}
