import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../main/eval/significance.js';
import { MaxSimIndex, maxSimScore, type MaxSimIndexOptions } from '../../main/search/maxsim.js';
import { KERNEL_ISAS, nativeMaxSim, nativeMaxSimError } from '../../main/search/native-maxsim.js';
import { topK as topKScores } from '../../main/search/top-k.js';
import { floatsToHalves, halvesToFloats } from '../../main/store/half.js';
import type { TokenVectors } from '../../main/contract/types.js';

/**
 * Tolerance against the naive loop: both sum the same float32 products, the kernel in float32 with FMA
 * (sgemm), the loop in float64. For unit vectors each dot product differs by < 1e-6, and a score sums at most
 * a dozen of them, so 1e-4 leaves a wide margin while still catching any wrong token or lost mask.
 */
const EXACT = 1e-4;
/** fp16 storage against the fp32 originals: half precision rounds each component by ≤ 2^-11 relative. */
const HALF = 2e-2;

function unitVectors(random: () => number, length: number, dim: number): TokenVectors {
  const data = new Float32Array(length * dim);
  for (let i = 0; i < length; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const v = random() * 2 - 1;
      data[i * dim + d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) data[i * dim + d]! /= norm;
  }
  return { length, dim, data };
}

interface Doc {
  vectors: TokenVectors;
  mask?: Uint8Array;
}

/** Lengths from 0 to 40 (longer than the small test blocks), some all-masked, masks dropping ~25 %. */
function randomDocs(random: () => number, count: number, dim: number): Doc[] {
  return Array.from({ length: count }, (_, i) => {
    const length = i === 0 ? 0 : Math.floor(random() * 41);
    const vectors = unitVectors(random, length, dim);
    if (random() < 0.5) return { vectors };
    const allMasked = i % 17 === 3;
    const mask = Uint8Array.from({ length }, () => (allMasked ? 0 : random() < 0.25 ? 0 : 1));
    return { vectors, mask };
  });
}

const open: MaxSimIndex[] = [];

/**
 * Every kernel this machine can run: onnxruntime's graph, and the fused native kernel at each instruction
 * set up to the CPU's best (a lesser one is asked for explicitly), so that all of them meet the naive loop.
 */
const native = nativeMaxSim();
const kernels: Array<{ name: string; opts: Pick<MaxSimIndexOptions, 'kernel' | 'isa'> }> = [
  { name: 'onnx', opts: { kernel: 'onnx' } },
  ...(native ? KERNEL_ISAS.slice(0, KERNEL_ISAS.indexOf(native.isa) + 1).map((isa) => ({ name: `native-${isa}`, opts: { kernel: 'native' as const, isa } })) : []),
];

describe('the native MaxSim kernel', () => {
  // Development and CI machines (linux-x64 with a C compiler) must build it, or every native case below would vanish.
  it.runIf(process.platform === 'linux' && process.arch === 'x64')('is built by build:engine on linux-x64, with a vector instruction set', () => {
    expect(nativeMaxSimError()).toBeNull();
    expect(native?.isa).toMatch(/^avx/);
  });

  it.runIf(native)('refuses blocks whose arrays are shorter than their shape says, before reading them', async () => {
    const query = { length: 2, data: new Float32Array(2 * 8) };
    const block = (over: Partial<{ data: Float32Array | Uint16Array; docs: number; length: number; keep: Uint8Array | null; out: Float32Array }>) => ({
      data: new Float32Array(3 * 4 * 8),
      docs: 3,
      length: 4,
      keep: null,
      out: new Float32Array(3),
      ...over,
    });
    await expect(native!.score([block({})], 8, query, 1)).resolves.toBeUndefined();
    expect(() => native!.score([block({ data: new Float32Array(3 * 4 * 8 - 1) })], 8, query, 1)).toThrow(/docs × length × dim/);
    expect(() => native!.score([block({ data: new Uint16Array(3 * 4 * 8 - 1) })], 8, query, 1)).toThrow(/docs × length × dim/);
    expect(() => native!.score([block({ keep: new Uint8Array(11) })], 8, query, 1)).toThrow(/keep/);
    expect(() => native!.score([block({ out: new Float32Array(2) })], 8, query, 1)).toThrow(/out/);
    expect(() => native!.score([block({ docs: 0 })], 8, query, 1)).toThrow(/positive docs/);
    expect(() => native!.score([block({})], 8, { length: 2, data: new Float32Array(15) }, 1)).toThrow(/2 tokens × 8/);
  });

  it('is the default kernel where it was built', async () => {
    const index = new MaxSimIndex({ dim: 8 });
    expect(index.kernel).toBe(native ? `native-${native.isa}` : 'onnx');
    expect(new MaxSimIndex({ dim: 8, kernel: 'onnx' }).kernel).toBe('onnx');
    await index.release();
  });
});

afterEach(async () => {
  for (const index of open.splice(0)) await index.release();
});

describe('maxSimScore (the naive Eq. 1 loop)', () => {
  const query: TokenVectors = { length: 2, dim: 2, data: Float32Array.from([1, 0, 0, 1]) };
  const doc: TokenVectors = { length: 3, dim: 2, data: Float32Array.from([0.6, 0.8, -1, 0, 0.8, -0.6]) };

  it('sums, over query tokens, the best dot product with any document token', () => {
    // query token 1: max(0.6, -1, 0.8) = 0.8; query token 2: max(0.8, 0, -0.6) = 0.8
    expect(maxSimScore(query, doc)).toBeCloseTo(1.6, 6);
  });

  it('ignores masked document tokens', () => {
    // without token 0: max(-1, 0.8) = 0.8 and max(0, -0.6) = 0
    expect(maxSimScore(query, doc, Uint8Array.from([0, 1, 1]))).toBeCloseTo(0.8, 6);
  });

  it('scores 0 when no document token is left to match', () => {
    expect(maxSimScore(query, doc, Uint8Array.from([0, 0, 0]))).toBe(0);
    expect(maxSimScore(query, { length: 0, dim: 2, data: new Float32Array(0) })).toBe(0);
  });

  it('refuses vectors of different widths', () => {
    expect(() => maxSimScore(query, { length: 1, dim: 3, data: new Float32Array(3) })).toThrow(/2 wide.*3/);
  });
});

describe.each(kernels)('MaxSimIndex ($name)', ({ opts }) => {
  const dim = 24;
  function newIndex(dim: number, blockRows = 64): MaxSimIndex {
    const index = new MaxSimIndex({ dim, threads: 1, blockRows: { fp32: blockRows, fp16: blockRows }, ...opts });
    open.push(index);
    return index;
  }

  it('gives the naive loop scores for fp32 documents of mixed lengths with masks', async () => {
    const random = mulberry32(11);
    const docs = randomDocs(random, 120, dim);
    const index = newIndex(dim);
    docs.forEach((d, i) => expect(index.add(d.vectors.data, d.vectors.length, d.mask)).toBe(i));
    expect(index.size).toBe(120);
    // Query lengths on both sides of the kernels' 16- and 32-token register widths.
    for (const qLength of [1, 7, 16, 32, 33, 47, 64]) {
      const query = unitVectors(random, qLength, dim);
      const scores = await index.scoreAll(query);
      expect(scores).toHaveLength(120);
      docs.forEach((d, i) => expect(Math.abs(scores[i]! - maxSimScore(query, d.vectors, d.mask))).toBeLessThan(EXACT));
    }
    // Several blocks, none padded past what its longest document needs.
    const shapes = index.blockShapes();
    expect(shapes.length).toBeGreaterThan(5);
    for (const s of shapes) expect(s.docs === 1 || s.docs * s.length <= 64).toBe(true);
  });

  it('gives the naive loop scores for fp16 documents, and stays close to their fp32 originals', async () => {
    const random = mulberry32(12);
    const docs = randomDocs(random, 80, dim);
    const index = newIndex(dim);
    const halves = docs.map((d) => floatsToHalves(d.vectors.data));
    docs.forEach((d, i) => index.add(halves[i]!, d.vectors.length, d.mask));
    const query = unitVectors(random, 16, dim);
    const scores = await index.scoreAll(query);
    docs.forEach((d, i) => {
      const widened = { length: d.vectors.length, dim, data: halvesToFloats(halves[i]!) };
      expect(Math.abs(scores[i]! - maxSimScore(query, widened, d.mask))).toBeLessThan(EXACT);
      expect(Math.abs(scores[i]! - maxSimScore(query, d.vectors, d.mask))).toBeLessThan(HALF);
    });
    expect(index.blockShapes().every((b) => b.precision === 'fp16')).toBe(true);
  });

  it('holds fp32 and fp16 documents side by side, keeping insertion order', async () => {
    const random = mulberry32(13);
    const docs = randomDocs(random, 40, dim);
    const index = newIndex(dim);
    docs.forEach((d, i) => index.add(i % 2 ? floatsToHalves(d.vectors.data) : d.vectors.data, d.vectors.length, d.mask));
    const query = unitVectors(random, 9, dim);
    const scores = await index.scoreAll(query);
    docs.forEach((d, i) => {
      const data = i % 2 ? halvesToFloats(floatsToHalves(d.vectors.data)) : d.vectors.data;
      expect(Math.abs(scores[i]! - maxSimScore(query, { ...d.vectors, data }, d.mask))).toBeLessThan(EXACT);
    });
    expect(new Set(index.blockShapes().map((b) => b.precision))).toEqual(new Set(['fp32', 'fp16']));
  });

  it('ranks topK exactly as sorting the naive scores, equal scores in insertion order', async () => {
    const random = mulberry32(14);
    const docs = randomDocs(random, 60, dim);
    // Duplicates of document 5 at the end: equal scores, so they must follow it in index order.
    docs.push(docs[5]!, docs[5]!);
    const index = newIndex(dim);
    for (const d of docs) index.add(d.vectors.data, d.vectors.length, d.mask);
    const query = unitVectors(random, 12, dim);
    const naive = docs.map((d) => maxSimScore(query, d.vectors, d.mask));
    const order = naive.map((_, i) => i).sort((a, b) => naive[b]! - naive[a]! || a - b);
    const top = await index.topK(query, 10);
    expect(top.map((t) => t.index)).toEqual(order.slice(0, 10));
    top.forEach((t) => expect(Math.abs(t.score - naive[t.index]!)).toBeLessThan(EXACT));
    const all = await index.topK(query, 1000);
    expect(all).toHaveLength(62);
    const at5 = all.findIndex((t) => t.index === 5);
    expect(all.slice(at5, at5 + 3).map((t) => t.index)).toEqual([5, 60, 61]);
    expect(await index.topK(query, 0)).toEqual([]);
  });

  it('scores documents added after earlier queries, also when they arrive one at a time', async () => {
    const random = mulberry32(15);
    const docs = randomDocs(random, 90, dim);
    const index = newIndex(dim, 256);
    const query = unitVectors(random, 6, dim);
    for (const d of docs.slice(0, 30)) index.add(d.vectors.data, d.vectors.length, d.mask);
    expect(await index.scoreAll(query)).toHaveLength(30);
    // One document per query: many tiny blocks, which the index must repack rather than keep.
    for (const d of docs.slice(30)) {
      index.add(d.vectors.data, d.vectors.length, d.mask);
      await index.scoreAll(query);
    }
    const scores = await index.scoreAll(query);
    expect(scores).toHaveLength(90);
    docs.forEach((d, i) => expect(Math.abs(scores[i]! - maxSimScore(query, d.vectors, d.mask))).toBeLessThan(EXACT));
    const rows = docs.reduce((sum, d) => sum + Math.max(1, d.mask ? d.mask.reduce((a, b) => a + b, 0) : d.vectors.length), 0);
    expect(index.blockShapes().length).toBeLessThanOrEqual(2 * Math.ceil(rows / 256) + 8);
  });

  it('serves both punctuation settings from one packing, scoring as an index packed for each setting', async () => {
    const random = mulberry32(16);
    const docs = randomDocs(random, 150, dim);
    const halves = docs.map((d) => floatsToHalves(d.vectors.data));
    const both = newIndex(dim);
    docs.forEach((d, i) => both.add(halves[i]!, d.vectors.length, d.mask));
    // The packings the index used to hold, one per setting: masked rows dropped, and every row kept.
    const dropped = newIndex(dim);
    const whole = newIndex(dim);
    docs.forEach((d, i) => {
      const kept = d.mask ? [...d.mask.keys()].filter((j) => d.mask![j]) : [...Array(d.vectors.length).keys()];
      const rows = new Uint16Array(kept.length * dim);
      kept.forEach((j, r) => rows.set(halves[i]!.subarray(j * dim, (j + 1) * dim), r * dim));
      dropped.add(rows, kept.length);
      whole.add(halves[i]!, d.vectors.length);
    });
    const shapes = () => JSON.stringify(both.blockShapes());
    for (const qLength of [1, 9, 32]) {
      const query = unitVectors(random, qLength, dim);
      const skipping = await both.scoreAll(query, { skipMasked: true });
      const scoringAll = await both.scoreAll(query, { skipMasked: false });
      expect(await both.scoreAll(query)).toEqual(skipping);
      const before = shapes();
      expect(Array.from(scoringAll)).toEqual(Array.from(await whole.scoreAll(query)));
      const old = await dropped.scoreAll(query);
      docs.forEach((d, i) => {
        const widened = { length: d.vectors.length, dim, data: halvesToFloats(halves[i]!) };
        // sgemm tiles the gathered rows differently from a block packed without them: float32 rounding, not bits.
        expect(Math.abs(skipping[i]! - old[i]!)).toBeLessThan(1e-5);
        expect(Math.abs(skipping[i]! - maxSimScore(query, widened, d.mask))).toBeLessThan(EXACT);
        expect(Math.abs(scoringAll[i]! - maxSimScore(query, widened))).toBeLessThan(EXACT);
      });
      expect(shapes()).toBe(before);
      expect((await both.topK(query, 5, { skipMasked: false })).map((t) => t.index)).toEqual((await whole.topK(query, 5)).map((t) => t.index));
    }
    // One copy of the vectors: the masks and gather rows add a few bytes a row, not a second packing.
    const rows = docs.reduce((sum, d) => sum + Math.max(1, d.vectors.length), 0);
    expect(both.blockShapes().reduce((sum, b) => sum + b.docs * b.length, 0)).toBe(whole.blockShapes().reduce((sum, b) => sum + b.docs * b.length, 0));
    expect(both.residentBytes()).toBeGreaterThanOrEqual(whole.residentBytes());
    expect(both.residentBytes() - whole.residentBytes()).toBeLessThanOrEqual(rows * (1 + 4));
    expect(both.residentBytes() + dropped.residentBytes()).toBeGreaterThan(1.5 * whole.residentBytes());
  });

  it('keeps a skipped token out of the maximum even when every scorable token scores below zero', async () => {
    // Query token (1, 0); the document's scorable tokens point away from it, its masked one along it.
    const index = newIndex(2);
    const doc = Float32Array.from([-1, 0, 1, 0, -0.6, -0.8]);
    index.add(doc, 3, Uint8Array.from([1, 0, 1]));
    index.add(doc, 3, Uint8Array.from([0, 0, 0]));
    const query: TokenVectors = { length: 1, dim: 2, data: Float32Array.from([1, 0]) };
    const skipping = await index.scoreAll(query, { skipMasked: true });
    expect(skipping[0]).toBeCloseTo(-0.6, 6);
    // Nothing left to match scores 0, as the naive loop gives it.
    expect(skipping[1]).toBe(0);
    expect(maxSimScore(query, { length: 3, dim: 2, data: doc }, Uint8Array.from([0, 0, 0]))).toBe(0);
    expect(Array.from(await index.scoreAll(query, { skipMasked: false }))).toEqual([1, 1]);
  });

  it('returns zeros for an empty query and nothing for an empty index', async () => {
    const index = newIndex(dim);
    expect(await index.scoreAll({ length: 3, dim, data: new Float32Array(3 * dim) })).toHaveLength(0);
    index.add(unitVectors(mulberry32(1), 4, dim).data, 4);
    expect(Array.from(await index.scoreAll({ length: 0, dim, data: new Float32Array(0) }))).toEqual([0]);
  });

  it('refuses vectors whose width or length do not match', async () => {
    const index = newIndex(dim);
    expect(() => index.add(new Float32Array(dim * 3 - 1), 3)).toThrow(/3 tokens × 24 dims/);
    expect(() => index.add(new Float32Array(dim * 3), 3, new Uint8Array(2))).toThrow(/mask/);
    await expect(index.scoreAll({ length: 1, dim: 8, data: new Float32Array(8) })).rejects.toThrow(/8 wide.*24/);
  });

  it('scores with several threads as with one, at a model width', async () => {
    const random = mulberry32(17);
    const wide = 128;
    const docs = randomDocs(random, 300, wide);
    const one = newIndex(wide, 2048);
    const two = new MaxSimIndex({ dim: wide, threads: 2, blockRows: { fp32: 2048, fp16: 2048 }, ...opts });
    open.push(two);
    docs.forEach((d) => {
      const halves = floatsToHalves(d.vectors.data);
      one.add(halves, d.vectors.length, d.mask);
      two.add(halves, d.vectors.length, d.mask);
    });
    const query = unitVectors(random, 32, wide);
    const [a, b] = await Promise.all([one.scoreAll(query), two.scoreAll(query)]);
    expect(Array.from(b)).toEqual(Array.from(a));
    docs.forEach((d, i) => {
      const widened = { length: d.vectors.length, dim: wide, data: halvesToFloats(floatsToHalves(d.vectors.data)) };
      expect(Math.abs(a[i]! - maxSimScore(query, widened, d.mask))).toBeLessThan(EXACT);
    });
  });

  it('refuses to be used after release', async () => {
    const index = new MaxSimIndex({ dim, ...opts });
    await index.release();
    expect(() => index.add(new Float32Array(dim), 1)).toThrow(/after release/);
  });
});

describe('topKScores', () => {
  it('keeps the k largest, best first, lower index first among equals', () => {
    const scores = Float32Array.from([0.5, 2, 0.5, 3, 2, -1, 0.5]);
    expect(topKScores(scores, 4)).toEqual([
      { index: 3, score: 3 },
      { index: 1, score: 2 },
      { index: 4, score: 2 },
      { index: 0, score: 0.5 },
    ]);
    expect(topKScores(scores, 10).map((t) => t.index)).toEqual([3, 1, 4, 0, 2, 6, 5]);
    expect(topKScores(scores, -1)).toEqual([]);
  });
});
