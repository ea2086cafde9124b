import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchScale, SyntheticCorpus, type RealVectors } from '../../main/bench/scale.js';
import { runBenchmark } from '../../main/bench/index.js';

function fakeReal(): RealVectors {
  const unitRows = (rows: number, seed: number) => {
    const data = new Float32Array(rows * 256);
    for (let r = 0; r < rows; r++) {
      data[r * 256 + ((r * 7 + seed) % 256)] = 1;
    }
    return { length: rows, dim: 256, data };
  };
  return { passages: [unitRows(40, 1), unitRows(30, 2), unitRows(50, 3)], queries: [unitRows(5, 4)] };
}

describe('scale benchmark', () => {
  it('synthesises the same passage for the same slot, unit-length at any width', () => {
    const a = new SyntheticCorpus(fakeReal(), 64, 32, 0.3, 5);
    const b = new SyntheticCorpus(fakeReal(), 64, 32, 0.3, 5);
    expect(Buffer.from(a.passage(17).buffer).equals(Buffer.from(b.passage(17).buffer))).toBe(true);
    expect(Buffer.from(a.passage(17).buffer).equals(Buffer.from(a.passage(18).buffer))).toBe(false);
    const p = a.passage(3);
    expect(p.length).toBe(32 * 64);
    for (let t = 0; t < 32; t++) {
      let norm = 0;
      for (let d = 0; d < 64; d++) norm += p[t * 64 + d]! ** 2;
      expect(norm).toBeCloseTo(1, 5);
    }
    const q = a.query(0);
    expect(q.length).toBe(5);
    expect(q.dim).toBe(64);
  });

  it('measures a small collection end to end against the exact scan, through the bench command', async () => {
    const result = await runBenchmark('scale', { passages: 300, docTokens: 24, dim: 64, queries: 3, threads: 1 });
    for (const key of ['passages', 'tokens', 'dim', 'build_s', 'index_bytes', 'bytes_per_token', 'rss_mb', 'p50_ms', 'p95_ms', 'exact_p50_ms', 'recall_at_10']) {
      expect(result).toHaveProperty(key);
    }
    expect(result.passages).toBe(300);
    expect(result.tokens).toBe(300 * 24);
    // 2-bit residuals at width 64 are 16 bytes, the code 2, the lists about 4; at 7,200 tokens the 225
    // centroids (56 KiB) add another 8.
    expect(result.bytes_per_token as number).toBeLessThan(40);
    expect(result.recall_at_10 as number).toBeGreaterThan(0.5);
    expect(result.recall_at_10_exact_rerank as number).toBeGreaterThanOrEqual(result.recall_at_10 as number);
    await expect(benchScale({ passages: 0, docTokens: 8, dim: 16 })).rejects.toThrow();
  }, 120_000);

  it('keeps the index and exact results in --index-dir and reuses them for another sweep of search flags', async () => {
    const kept = mkdtempSync(join(tmpdir(), 'saegim-scale-kept-'));
    try {
      const flags = { passages: 200, docTokens: 16, dim: 32, queries: 3, threads: 1, indexDir: kept };
      const first = await runBenchmark('scale', flags);
      expect(first.reused_index).toBe(false);
      expect(first.reused_exact).toBe(false);
      const manifest = statSync(join(kept, 'index', 'manifest.json')).mtimeMs;
      const second = await runBenchmark('scale', { ...flags, nprobe: 2 });
      expect(second.reused_index).toBe(true);
      expect(second.reused_exact).toBe(true);
      expect(second.nprobe).toBe(2);
      expect(second.build_s).toBe(first.build_s);
      expect(second.exact_p50_ms).toBe(first.exact_p50_ms);
      expect(statSync(join(kept, 'index', 'manifest.json')).mtimeMs).toBe(manifest);
      // Same index, same queries, default search flags: the same answers as the run that built it.
      const third = await runBenchmark('scale', flags);
      expect(third.recall_at_10).toBe(first.recall_at_10);
      expect(third.recall_at_10_exact_rerank).toBe(first.recall_at_10_exact_rerank);
      await expect(runBenchmark('scale', { ...flags, nbits: 1 })).rejects.toThrow(/bench-scale\.json.*nbits 2.*asks for 1/);
      await expect(runBenchmark('scale', { ...flags, passages: 300 })).rejects.toThrow(/bench-scale\.json.*passages = 200, this run has 300/);
    } finally {
      rmSync(kept, { recursive: true, force: true });
    }
  }, 240_000);
});
