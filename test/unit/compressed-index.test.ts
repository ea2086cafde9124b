import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenVectors } from '../../main/contract/types.js';
import { mulberry32 } from '../../main/eval/significance.js';
import { buildCompressedIndex, CompressedIndex, type CompressedDocInput, type CompressedSearchOptions } from '../../main/search/compressed/index.js';
import { kmeans } from '../../main/search/compressed/kmeans.js';
import { Nearest } from '../../main/search/compressed/ort-ops.js';
import { gaussian } from '../../main/search/compressed/projection.js';
import { decodeTable, decodeToken, packResidual, residualBytes, trainBuckets, type ResidualBits } from '../../main/search/compressed/residual-codec.js';
import { maxSimScore } from '../../main/search/maxsim.js';
import { topK } from '../../main/search/top-k.js';
import { floatsToHalves } from '../../main/store/half.js';

const scratch = mkdtempSync(join(tmpdir(), 'saegim-compressed-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function unit(v: Float32Array, at = 0, dim = v.length - at): Float32Array {
  let n = 0;
  for (let d = 0; d < dim; d++) n += v[at + d]! * v[at + d]!;
  const s = 1 / Math.sqrt(n);
  for (let d = 0; d < dim; d++) v[at + d]! *= s;
  return v;
}

interface Doc extends CompressedDocInput {
  /** float32 copy of the vectors, for the reference scorer. */
  floats: Float32Array;
}

/**
 * Documents with topical structure: a vocabulary of "words" (unit vectors) grouped in topics; a document
 * draws 60 % of its tokens from one topic and the rest from anywhere, each token its word plus noise.
 * Queries draw a few words of one topic. Exact top-10s then have real score gaps, as with text.
 */
class Corpus {
  readonly vocab: Float32Array[];
  readonly docs: Doc[] = [];
  private readonly random: () => number;
  private readonly normal: () => number;

  constructor(
    readonly dim: number,
    readonly topics: number,
    readonly words: number,
    readonly noise: number,
    seed: number,
  ) {
    this.random = mulberry32(seed);
    this.normal = gaussian(this.random);
    this.vocab = Array.from({ length: topics * words }, () => unit(Float32Array.from({ length: dim }, this.normal)));
  }

  token(word: number, out: Float32Array, at: number, noise = this.noise): void {
    const w = this.vocab[word]!;
    for (let d = 0; d < this.dim; d++) out[at + d] = w[d]! + (noise * this.normal()) / Math.sqrt(this.dim);
    unit(out, at, this.dim);
  }

  doc(opts: { fp16?: boolean; masked?: boolean; topic?: number } = {}): Doc {
    const { dim, random } = this;
    const topic = opts.topic ?? Math.floor(random() * this.topics);
    const nTokens = 8 + Math.floor(random() * 17);
    const floats = new Float32Array(nTokens * dim);
    for (let j = 0; j < nTokens; j++) {
      const t = random() < 0.6 ? topic : Math.floor(random() * this.topics);
      this.token(t * this.words + Math.floor(random() * this.words), floats, j * dim);
    }
    // Masks keep at least the first token, so no document is empty.
    const mask = opts.masked ? Uint8Array.from({ length: nTokens }, (_, j) => (j === 0 || random() > 0.25 ? 1 : 0)) : undefined;
    const vectors = opts.fp16 ? floatsToHalves(floats) : floats;
    return { vectors, nTokens, mask, floats };
  }

  addDocs(count: number, opts: { fp16?: boolean; masked?: boolean } = {}): Doc[] {
    const docs = Array.from({ length: count }, () => this.doc(opts));
    this.docs.push(...docs);
    return docs;
  }

  query(length = 6): TokenVectors {
    const topic = Math.floor(this.random() * this.topics);
    const data = new Float32Array(length * this.dim);
    for (let j = 0; j < length; j++) this.token(topic * this.words + Math.floor(this.random() * this.words), data, j * this.dim);
    return { length, dim: this.dim, data };
  }
}

/** Exact MaxSim with every document of `docs`, as the reference for every comparison below. */
function exactScores(query: TokenVectors, docs: Doc[]): Float32Array {
  return Float32Array.from(docs, (d) => maxSimScore(query, { length: d.nTokens, dim: query.dim, data: d.floats }, d.mask));
}

function exactScorer(scores: Float32Array): (slots: Int32Array) => Promise<Float32Array> {
  return async (slots) => Float32Array.from(slots, (s) => scores[s]!);
}

const GENEROUS: Omit<CompressedSearchOptions, 'k'> = { nprobe: 1 << 20, centroidThreshold: -Infinity, candidates: 1 << 30 };

describe('residual codec', () => {
  const rows = 20000;
  const dim = 24;
  // Per-dimension spreads over a decade, as after a PCA projection.
  const sigma = Float32Array.from({ length: dim }, (_, d) => 0.01 * 10 ** (d / (dim - 1)));
  function residuals(seed: number, n: number): Float32Array {
    const normal = gaussian(mulberry32(seed));
    return Float32Array.from({ length: n * dim }, (_, i) => sigma[i % dim]! * normal());
  }

  // Lloyd–Max distortion of a unit Gaussian: 0.363 (1 bit), 0.1175 (2), 0.0095 (4); a little slack for
  // buckets fitted on a sample.
  for (const [nbits, bound] of [
    [1, 0.4],
    [2, 0.13],
    [4, 0.012],
  ] as Array<[ResidualBits, number]>) {
    it(`round-trips ${nbits}-bit residuals within their bucket and near the Lloyd–Max error`, () => {
      const buckets = trainBuckets(residuals(1, rows), rows, dim, nbits);
      const table = decodeTable(buckets);
      const levels = 1 << nbits;
      const test = residuals(2, 2000);
      const bytes = residualBytes(dim, nbits);
      const packed = new Uint8Array(bytes);
      const out = new Float32Array(dim);
      const zero = new Float32Array(dim);
      const sq = new Float64Array(dim);
      let outsideBucket = 0;
      let notAWeight = 0;
      for (let r = 0; r < 2000; r++) {
        packResidual(buckets, test, r * dim, packed, 0);
        decodeToken(table, dim, nbits, zero, 0, packed, 0, out, 0);
        for (let d = 0; d < dim; d++) {
          const w = buckets.weights.subarray(d * levels, (d + 1) * levels);
          const v = test[r * dim + d]!;
          const err = Math.abs(out[d]! - v);
          sq[d]! += err * err;
          if (!w.includes(out[d]!)) notAWeight++;
          // Inside the outermost weights the error is at most half the gap between neighbouring weights.
          if (v >= w[0]! && v <= w[levels - 1]!) {
            let gap = 0;
            for (let j = 1; j < levels; j++) gap = Math.max(gap, w[j]! - w[j - 1]!);
            if (err > gap / 2 + 1e-7) outsideBucket++;
          }
        }
      }
      expect(notAWeight).toBe(0);
      expect(outsideBucket).toBe(0);
      for (let d = 0; d < dim; d++) expect(sq[d]! / 2000 / sigma[d]! ** 2).toBeLessThan(bound);
    });
  }

  it('decodes widths that do not fill the last byte, adding the centroid', () => {
    const narrow = 13; // 26 bits at 2 bits a value: 4 bytes, the last one half used
    const normal = gaussian(mulberry32(5));
    const data = Float32Array.from({ length: 500 * narrow }, () => 0.05 * normal());
    const buckets = trainBuckets(data, 500, narrow, 2);
    const table = decodeTable(buckets);
    const centroid = Float32Array.from({ length: 2 * narrow }, (_, i) => i / 10);
    const packed = new Uint8Array(residualBytes(narrow, 2));
    expect(packed.length).toBe(4);
    packResidual(buckets, data, 0, packed, 0);
    const out = new Float32Array(narrow);
    const norm = decodeToken(table, narrow, 2, centroid, 1, packed, 0, out, 0);
    let expectNorm = 0;
    for (let d = 0; d < narrow; d++) {
      const code = (packed[(d * 2) >> 3]! >> ((d * 2) & 7)) & 3;
      const want = centroid[narrow + d]! + buckets.weights[d * 4 + code]!;
      expect(out[d]).toBeCloseTo(want, 6);
      expectNorm += want * want;
    }
    expect(norm).toBeCloseTo(expectNorm, 5);
  });
});

describe('k-means', () => {
  it('gives bit-identical centroids for a seed, unit-length when spherical, and separates clusters', async () => {
    const dim = 16;
    const corpus = new Corpus(dim, 8, 1, 0.2, 3);
    const n = 400;
    const points = new Float32Array(n * dim);
    const truth = new Int32Array(n);
    for (let p = 0; p < n; p++) {
      truth[p] = p % 8;
      corpus.token(p % 8, points, p * dim);
    }
    const nearest = await Nearest.create(dim, 1);
    try {
      const run = (seed: number) => kmeans(points, n, dim, { k: 16, iterations: 10, seed, spherical: true, nearest });
      const a = await run(7);
      const b = await run(7);
      const c = await run(8);
      expect(Buffer.from(a.centroids.buffer).equals(Buffer.from(b.centroids.buffer))).toBe(true);
      expect(Buffer.from(a.assignment.buffer).equals(Buffer.from(b.assignment.buffer))).toBe(true);
      expect(Buffer.from(a.centroids.buffer).equals(Buffer.from(c.centroids.buffer))).toBe(false);
      // Two centroids for each of 8 tight, distant clusters: no centroid may straddle two clusters, and no
      // cluster may be left without one.
      const clusterOf = new Map<number, number>();
      for (let p = 0; p < n; p++) {
        const seen = clusterOf.get(a.assignment[p]!);
        if (seen === undefined) clusterOf.set(a.assignment[p]!, truth[p]!);
        else expect(truth[p]).toBe(seen);
      }
      expect(new Set(clusterOf.values()).size).toBe(8);
      for (let c0 = 0; c0 < 16; c0++) {
        let norm = 0;
        for (let d = 0; d < dim; d++) norm += a.centroids[c0 * dim + d]! ** 2;
        expect(norm).toBeCloseTo(1, 5);
      }
    } finally {
      await nearest.release();
    }
  });
});

describe('CompressedIndex', () => {
  const dim = 32;
  // 40 words a topic: documents of one topic share some of a query's words, not all, so the exact top-10
  // is separated by real score gaps (median 0.05) rather than by the noise on a handful of shared words.
  const corpus = new Corpus(dim, 40, 40, 0.2, 11);
  const dir = join(scratch, 'main');
  let index: CompressedIndex;

  beforeAll(async () => {
    corpus.addDocs(1000);
    corpus.addDocs(500, { fp16: true });
    corpus.addDocs(500, { masked: true });
    corpus.addDocs(1000, { fp16: true, masked: true });
    await buildCompressedIndex(corpus.docs, dim, dir, { threads: 1, seed: 3 });
    index = CompressedIndex.open(dir, { threads: 1 });
  });
  afterAll(() => index?.close());

  it('reports its shape and stays under 40 bytes a token at 2 bits', () => {
    const info = index.info();
    expect(info.docs).toBe(3000);
    expect(info.tokens).toBe(corpus.docs.reduce((n, d) => n + (d.mask ? d.mask.reduce((a, b) => a + b, 0) : d.nTokens), 0));
    expect(info.nbits).toBe(2);
    expect(info.dim).toBe(dim);
    // 8 bytes of residual and 2 of code per token at width 32, at most 4 of list entries; the centroids are
    // a fixed cost that dominates only at this size (1,500 × 32 floats over 48k tokens).
    expect((info.files['codes.u16']! + info.files['residuals.u8']!) / info.tokens).toBe(10);
    expect(info.files['ivf-0.ids']! / info.tokens).toBeLessThanOrEqual(4);
    expect(info.bytesPerToken).toBeLessThan(40);
    expect(readdirSync(scratch).filter((f) => f.includes('building'))).toEqual([]);
  });

  it('with every cell probed and every candidate kept, exact rerank returns exactly the exact top-k', async () => {
    for (let q = 0; q < 10; q++) {
      const query = corpus.query();
      const scores = exactScores(query, corpus.docs);
      const want = topK(scores, 10);
      const got = await index.search(query, { k: 10, ...GENEROUS, rerank: 'exact' }, exactScorer(scores));
      expect(got).toEqual(want);
    }
  });

  it('keeps recall@10 against exact MaxSim at 0.9 or more with default parameters', async () => {
    let overlap = 0;
    const queries = 40;
    for (let q = 0; q < queries; q++) {
      const query = corpus.query();
      const want = new Set(topK(exactScores(query, corpus.docs), 10).map((r) => r.index));
      const got = await index.search(query, { k: 10 });
      expect(got).toHaveLength(10);
      overlap += got.filter((r) => want.has(r.index)).length;
    }
    expect(overlap / (10 * queries)).toBeGreaterThanOrEqual(0.9);
  });

  it('prunes: default parameters reach fewer documents than a full scan', async () => {
    await index.search(corpus.query(), { k: 10 });
    const stats = index.lastSearchStats()!;
    expect(stats.touched).toBeLessThan(3000);
    // The stage-3 cut keeps a quarter of the default 1,024 candidates.
    expect(stats.survivors).toBeLessThanOrEqual(256);
    expect(stats.survivors).toBeLessThan(stats.candidates);
  });

  it('prefetches the lists and codes (residuals on request) within a memory budget, beside searches, and stops when closed', async () => {
    const info = index.info();
    const lists = info.files['ivf-0.ids']!;
    const codes = info.files['codes.u16']!;
    const residuals = info.files['residuals.u8']!;
    const query = corpus.query();
    const before = await index.search(query, { k: 10 });
    const [bytes, during] = await Promise.all([index.prefetch(), index.search(query, { k: 10 })]);
    expect(bytes).toBe(lists + codes);
    expect(during).toEqual(before);
    expect(await index.prefetch({ residuals: true })).toBe(lists + codes + residuals);
    // Smallest first, and nothing past the budget.
    expect(await index.prefetch({ residuals: true, budgetBytes: Math.min(lists, codes) })).toBe(Math.min(lists, codes));
    expect(await index.prefetch({ residuals: true, budgetBytes: lists + codes })).toBe(lists + codes);
    const controller = new AbortController();
    controller.abort();
    expect(await index.prefetch({ signal: controller.signal })).toBe(0);
    const other = CompressedIndex.open(dir, { threads: 1 });
    const running = other.prefetch({ residuals: true });
    other.close();
    expect(await running).toBeLessThan(lists + codes + residuals);
    await expect(other.prefetch()).rejects.toThrow(/after close/);
  });

  it('refuses exact rerank without a scorer and queries of the wrong width', async () => {
    await expect(index.search(corpus.query(), { k: 3, rerank: 'exact' })).rejects.toThrow(/exact scorer/);
    await expect(index.search({ length: 1, dim: dim + 1, data: new Float32Array(dim + 1) }, { k: 3 })).rejects.toThrow(/wide/);
  });
});

describe('CompressedIndex updates', () => {
  const dim = 32;

  async function fresh(name: string): Promise<{ corpus: Corpus; dir: string }> {
    const corpus = new Corpus(dim, 30, 6, 0.3, 21);
    corpus.addDocs(800);
    const dir = join(scratch, name);
    await buildCompressedIndex(corpus.docs, dim, dir, { threads: 1 });
    return { corpus, dir };
  }

  it('appends without re-clustering; the new documents are found, also after reopening and compaction', async () => {
    const { corpus, dir } = await fresh('append');
    const centroidsBefore = readFileSync(join(dir, 'centroids.f32'));
    const index = CompressedIndex.open(dir, { threads: 1 });
    try {
      // Each new document holds one query's tokens almost verbatim: it must come first for that query.
      const queries = Array.from({ length: 5 }, () => corpus.query());
      const added: Doc[] = queries.map((q) => {
        const floats = Float32Array.from(q.data);
        for (let j = 0; j < q.length; j++) {
          for (let d = 0; d < dim; d++) floats[j * dim + d]! += 0.01 * Math.sin(j + d);
          unit(floats, j * dim, dim);
        }
        return { vectors: floats, nTokens: q.length, floats };
      });
      await index.append(added);
      expect(index.size).toBe(805);
      const check = async (ix: CompressedIndex): Promise<void> => {
        for (let i = 0; i < queries.length; i++) {
          const top = await ix.search(queries[i]!, { k: 5 });
          expect(top[0]!.index).toBe(800 + i);
        }
      };
      await check(index);
      expect(readFileSync(join(dir, 'centroids.f32')).equals(centroidsBefore)).toBe(true);
      expect(index.info().appendedDocs).toBe(5);
      // In-distribution documents fit the old centroids about as well as the built ones.
      const inDistribution = index.drift();
      expect(Math.abs(inDistribution)).toBeLessThan(0.3);
      await index.compact();
      await check(index);
      expect(existsSync(join(dir, 'ivf-1.ids'))).toBe(true);
      expect(existsSync(join(dir, 'ivf-0.ids'))).toBe(false);
      const reopened = CompressedIndex.open(dir, { threads: 1 });
      try {
        await check(reopened);
        expect(reopened.size).toBe(805);
      } finally {
        reopened.close();
      }
      // Vectors from nowhere near the vocabulary move the drift measure up.
      const normal = gaussian(mulberry32(99));
      const foreign = Array.from({ length: 50 }, () => {
        const floats = new Float32Array(10 * dim);
        for (let j = 0; j < 10; j++) {
          for (let d = 0; d < dim; d++) floats[j * dim + d] = normal();
          unit(floats, j * dim, dim);
        }
        return { vectors: floats, nTokens: 10 };
      });
      await index.append(foreign);
      expect(index.drift()).toBeGreaterThan(inDistribution + 0.1);
    } finally {
      index.close();
    }
  });

  it('an append that never committed leaves the index as it was', async () => {
    const { corpus, dir } = await fresh('append-abort');
    const index = CompressedIndex.open(dir, { threads: 1 });
    const controller = new AbortController();
    function* docs(): Generator<CompressedDocInput> {
      for (let i = 0; i < 50; i++) {
        if (i === 20) controller.abort();
        yield corpus.doc();
      }
    }
    try {
      await expect(index.append(docs(), { signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
      expect(index.size).toBe(800);
      const query = corpus.query();
      const scores = exactScores(query, corpus.docs);
      expect(await index.search(query, { k: 10, ...GENEROUS, rerank: 'exact' }, exactScorer(scores))).toEqual(topK(scores, 10));
      // The next append overwrites the uncommitted tail.
      await index.append([corpus.doc()]);
      expect(index.size).toBe(801);
    } finally {
      index.close();
    }
    const reopened = CompressedIndex.open(dir, { threads: 1 });
    expect(reopened.size).toBe(801);
    reopened.close();
  });

  it('remove hides documents, also after reopening', async () => {
    const { corpus, dir } = await fresh('remove');
    const index = CompressedIndex.open(dir, { threads: 1 });
    const query = corpus.query();
    const scores = exactScores(query, corpus.docs);
    try {
      const before = await index.search(query, { k: 10, ...GENEROUS, rerank: 'exact' }, exactScorer(scores));
      const gone = before.slice(0, 3).map((r) => r.index);
      index.remove(gone);
      const after = await index.search(query, { k: 10, ...GENEROUS, rerank: 'exact' }, exactScorer(scores));
      expect(after.map((r) => r.index)).not.toContain(gone[0]);
      expect(after.map((r) => r.index).some((s) => gone.includes(s))).toBe(false);
      for (const s of gone) scores[s] = -Infinity;
      expect(after).toEqual(topK(scores, 10));
      expect(index.info().removedDocs).toBe(3);
      expect(() => index.remove([800])).toThrow(/not in the index/);
      const reopened = CompressedIndex.open(dir, { threads: 1 });
      try {
        const again = await reopened.search(query, { k: 10 });
        expect(again.map((r) => r.index).some((s) => gone.includes(s))).toBe(false);
        expect(reopened.info().liveDocs).toBe(797);
      } finally {
        reopened.close();
      }
    } finally {
      index.close();
    }
  });
});

describe('building', () => {
  const dim = 16;

  it('cancelled while reading or clustering, leaves no index directory behind', async () => {
    const corpus = new Corpus(dim, 10, 4, 0.3, 5);
    const parent = join(scratch, 'cancel');
    const dir = join(parent, 'index');
    const reading = new AbortController();
    function* docs(): Generator<CompressedDocInput> {
      for (let i = 0; i < 400; i++) {
        if (i === 200) reading.abort();
        yield corpus.doc();
      }
    }
    await expect(buildCompressedIndex(docs(), dim, dir, { threads: 1, signal: reading.signal })).rejects.toMatchObject({ code: 'cancelled' });
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);

    const clustering = new AbortController();
    const docsList = Array.from({ length: 300 }, () => corpus.doc());
    await expect(
      buildCompressedIndex(docsList, dim, dir, {
        threads: 1,
        signal: clustering.signal,
        onProgress: (p) => {
          if (p.phase === 'clustering' && p.done >= 1) clustering.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a rebuild replaces the index in place; a cancelled rebuild keeps the old one', async () => {
    const corpus = new Corpus(dim, 10, 4, 0.3, 6);
    const dir = join(scratch, 'rebuild', 'index');
    await buildCompressedIndex(Array.from({ length: 100 }, () => corpus.doc()), dim, dir, { threads: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(buildCompressedIndex([corpus.doc()], dim, dir, { threads: 1, signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
    let index = CompressedIndex.open(dir, { threads: 1 });
    expect(index.info().docs).toBe(100);
    index.close();
    const info = await buildCompressedIndex(Array.from({ length: 60 }, () => corpus.doc()), dim, dir, { threads: 1 });
    expect(info.docs).toBe(60);
    index = CompressedIndex.open(dir, { threads: 1 });
    expect(index.info().docs).toBe(60);
    index.close();
    expect(readdirSync(join(scratch, 'rebuild'))).toEqual(['index']);
  });

  it('reports progress through every phase and rejects bad input', async () => {
    const corpus = new Corpus(dim, 10, 4, 0.3, 7);
    const phases = new Set<string>();
    await buildCompressedIndex(Array.from({ length: 50 }, () => corpus.doc()), dim, join(scratch, 'progress'), {
      threads: 1,
      totalDocs: 50,
      onProgress: (p) => phases.add(p.phase),
    });
    expect([...phases]).toEqual(['reading', 'clustering', 'encoding', 'writing']);
    await expect(buildCompressedIndex([{ vectors: new Float32Array(5), nTokens: 1 }], dim, join(scratch, 'bad'), {})).rejects.toThrow(/document 0/);
    await expect(buildCompressedIndex([], dim, join(scratch, 'empty'), {})).rejects.toThrow(/without a single kept token/);
    await expect(buildCompressedIndex([], dim, join(scratch, 'bits'), { nbits: 3 as never })).rejects.toThrow(/nbits/);
    expect(existsSync(join(scratch, 'bad'))).toBe(false);
  });

  it('projects to a narrower width, and queries are projected the same way inside search', async () => {
    // 48-wide vectors that live in a 12-dimensional subspace: PCA to 12 loses nothing but quantisation.
    const inner = 12;
    const wide = 48;
    const corpus = new Corpus(inner, 20, 5, 0.3, 8);
    const basis = new Float32Array(inner * wide);
    {
      const normal = gaussian(mulberry32(4));
      const m = Float64Array.from({ length: wide * inner }, normal);
      (await import('../../main/search/compressed/projection.js')).orthonormalizeColumns(m, wide, inner);
      for (let i = 0; i < wide; i++) for (let j = 0; j < inner; j++) basis[j * wide + i] = m[i * inner + j]!;
    }
    const lift = (v: Float32Array, rows: number): Float32Array => {
      const out = new Float32Array(rows * wide);
      for (let r = 0; r < rows; r++) for (let j = 0; j < inner; j++) for (let i = 0; i < wide; i++) out[r * wide + i]! += v[r * inner + j]! * basis[j * wide + i]!;
      return out;
    };
    const docs: Doc[] = Array.from({ length: 600 }, () => {
      const d = corpus.doc();
      const floats = lift(d.floats, d.nTokens);
      return { vectors: floats, nTokens: d.nTokens, floats };
    });
    for (const kind of ['pca', 'random'] as const) {
      const dir = join(scratch, `projected-${kind}`);
      const info = await buildCompressedIndex(docs, wide, dir, { threads: 1, projection: { kind, dim: inner } });
      expect(info.inputDim).toBe(wide);
      expect(info.dim).toBe(inner);
      expect(info.projection).toBe(kind);
      const index = CompressedIndex.open(dir, { threads: 1 });
      try {
        for (let q = 0; q < 5; q++) {
          const small = corpus.query(4);
          const query = { length: 4, dim: wide, data: lift(small.data, 4) };
          const scores = exactScores(query, docs);
          expect(await index.search(query, { k: 10, ...GENEROUS, rerank: 'exact' }, exactScorer(scores))).toEqual(topK(scores, 10));
          if (kind === 'pca') {
            // Decompressed scores in the projected space track the exact ones in the original space.
            const got = await index.search(query, { k: 10, ...GENEROUS });
            for (const r of got) expect(Math.abs(r.score - scores[r.index]!)).toBeLessThan(0.25);
          }
        }
        await expect(index.search(corpus.query(2), { k: 3 })).rejects.toThrow(/48/);
      } finally {
        index.close();
      }
    }
  });
});

describe('a damaged index', () => {
  const dim = 16;
  const source = join(scratch, 'pristine');

  beforeAll(async () => {
    const corpus = new Corpus(dim, 10, 4, 0.3, 9);
    await buildCompressedIndex(Array.from({ length: 200 }, () => corpus.doc()), dim, source, { threads: 1 });
  });

  function damaged(name: string, damage: (dir: string) => void): string {
    const dir = join(scratch, `damaged-${name}`);
    cpSync(source, dir, { recursive: true });
    damage(dir);
    return dir;
  }

  function flipByte(path: string, at: number): void {
    const bytes = readFileSync(path);
    bytes[at]! ^= 0xff;
    writeFileSync(path, bytes);
  }

  it.each([
    ['a missing centroid file', 'centroids-missing', (d: string) => rmSync(join(d, 'centroids.f32')), /centroids\.f32: missing/],
    ['a missing index directory', 'nothing', (d: string) => rmSync(d, { recursive: true }), /manifest\.json: no such index directory/],
    ['a truncated code file', 'codes-short', (d: string) => truncateSync(join(d, 'codes.u16'), 10), /codes\.u16: 10 bytes, expected at least/],
    ['a flipped centroid byte', 'centroids-flip', (d: string) => flipByte(join(d, 'centroids.f32'), 17), /centroids\.f32: checksum mismatch/],
    ['a flipped length', 'doclens-flip', (d: string) => flipByte(join(d, 'doclens.u32'), 0), /doclens\.u32: checksum mismatch/],
    ['a manifest that is not JSON', 'manifest-garbage', (d: string) => writeFileSync(join(d, 'manifest.json'), '{"format": '), /manifest\.json: not valid JSON/],
    [
      'a manifest of a newer version',
      'manifest-version',
      (d: string) => {
        const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
        writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...m, version: 99 }));
      },
      /manifest\.json: format version 99/,
    ],
    ['a missing residual file', 'residuals-missing', (d: string) => rmSync(join(d, 'residuals.u8')), /residuals\.u8: missing/],
    ['a short list file', 'ivf-short', (d: string) => truncateSync(join(d, 'ivf-0.ids'), 4), /ivf-0\.ids: 4 bytes/],
  ])('names the file: %s', (_label, name, damage, message) => {
    const dir = damaged(name, damage);
    expect(() => CompressedIndex.open(dir)).toThrow(message);
  });

  it('names the list file when a list points past the last document', async () => {
    const dir = damaged('ivf-slot', (d) => {
      const ids = readFileSync(join(d, 'ivf-0.ids'));
      for (let i = 0; i < ids.length; i += 4) ids.writeUInt32LE(0xfffffff0, i);
      writeFileSync(join(d, 'ivf-0.ids'), ids);
    });
    const index = CompressedIndex.open(dir, { threads: 1 });
    try {
      await expect(index.search({ length: 1, dim, data: unit(Float32Array.from({ length: dim }, (_, i) => i + 1)) }, { k: 3 })).rejects.toThrow(/ivf-0\.ids: slot/);
    } finally {
      index.close();
    }
  });
});
