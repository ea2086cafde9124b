import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaegimError } from '../contract/errors.js';
import type { SaegimApi } from '../contract/methods.js';
import { bundledDatasetDir, bundledModelDir, rendererDir } from '../paths.js';
import { engineApi } from '../rpc/engine-proxy.js';
import { engineThread } from '../rpc/engine-thread.js';
import { startServer } from '../server.js';
import { SaegimService } from '../service.js';

export interface BurstBenchOptions {
  /** Passages in the generated collection (default 3,000). */
  passages?: number;
  /** Searches sent at once (default 50). */
  searches?: number;
  model?: string;
  /** Run the engine on the HTTP server's thread, as browser mode did before its worker thread. */
  inProcess?: boolean;
  /** Keep the indexed collection in this database (re-runs skip the indexing); a temporary one otherwise. */
  db?: string;
}

const COLLECTION = 'burst';
const METHODS = ['mvr', 'bm25', 'svr', 'hybrid'];

/** A fixed-seed generator, so every run indexes the same corpus. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Passages of two to four demo-ko sentences each, recombined across the corpus, as JSONL. */
export function recombinedCorpus(n: number, seed = 17): string {
  const lines = readFileSync(join(bundledDatasetDir(), 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean);
  const sentences = lines.flatMap((line) => (JSON.parse(line) as { text: string }).text.split(/(?<=[.!?])\s+/).filter((t) => t.length > 5));
  const next = random(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const count = 2 + Math.floor(next() * 3);
    const text = Array.from({ length: count }, () => sentences[Math.floor(next() * sentences.length)]!).join(' ');
    out.push(JSON.stringify({ id: `b-${String(i + 1).padStart(5, '0')}`, text }));
  }
  return `${out.join('\n')}\n`;
}

function demoQueries(): string[] {
  return readFileSync(join(bundledDatasetDir(), 'queries.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Many searches at once through browser mode's HTTP API while a cheap call (`info`) is asked again and
 * again: how long searches take when they queue, and whether the cheap call still answers promptly.
 */
export async function benchBurst(opts: BurstBenchOptions = {}): Promise<Record<string, number | string>> {
  const passages = opts.passages ?? 3000;
  const searches = opts.searches ?? 50;
  const modelDir = opts.model ?? bundledModelDir();
  if (!existsSync(modelDir)) throw new SaegimError('model-missing', `no model at ${modelDir} (pass --model DIR)`);
  const work = mkdtempSync(join(tmpdir(), 'saegim-burst-'));
  const dbPath = opts.db ?? join(work, 'saegim.db');
  try {
    await prepare(dbPath, modelDir, passages, work);
    let api: SaegimApi;
    let close: () => Promise<void>;
    if (opts.inProcess) {
      const service = SaegimService.open({ dbPath, modelDir, bundledDataDir: null });
      api = service;
      close = () => service.close();
    } else {
      const engine = engineThread({ dbPath, modelDir, demo: false });
      await engine.startAndWait();
      api = engineApi(engine);
      close = () => engine.stop();
    }
    const server = await startServer(api, { port: 0, staticDir: rendererDir() });
    try {
      const call = async (method: string, args: unknown[]): Promise<{ ok: boolean; status: number; ms: number }> => {
        const started = performance.now();
        const res = await fetch(`${server.url}/api/call/${method}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(args),
        });
        await res.arrayBuffer();
        return { ok: res.ok, status: res.status, ms: performance.now() - started };
      };
      const queries = demoQueries();
      const search = (i: number) => call('search', [{ collection: COLLECTION, query: queries[i % queries.length], methods: METHODS, k: 10 }]);
      // The first search loads the vectors and the kernel; the burst measures a warm engine.
      await search(0);
      await call('info', []);

      let settled = false;
      const cheap: number[] = [];
      let cheapFailures = 0;
      const cheapLoop = (async () => {
        while (!settled) {
          const r = await call('info', []);
          if (r.ok) cheap.push(r.ms);
          else cheapFailures++;
          await new Promise((done) => setTimeout(done, 5));
        }
      })();
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: searches }, (_, i) => search(i + 1).catch(() => ({ ok: false, status: 0, ms: NaN }))));
      const seconds = (performance.now() - started) / 1000;
      settled = true;
      await cheapLoop;
      const ok = results.filter((r) => r.ok).map((r) => r.ms);
      const statuses = [...new Set(results.filter((r) => !r.ok).map((r) => r.status))].join(',');
      return {
        engine: opts.inProcess ? 'in-process' : 'worker thread',
        passages,
        searches,
        methods: METHODS.join(','),
        failures: searches - ok.length,
        ...(statuses ? { failureStatuses: statuses } : {}),
        seconds: Math.round(seconds * 100) / 100,
        searchP50Ms: round(percentile(ok, 50)),
        searchP95Ms: round(percentile(ok, 95)),
        searchMaxMs: round(Math.max(...ok)),
        cheapCalls: cheap.length,
        cheapFailures,
        cheapP50Ms: round(percentile(cheap, 50)),
        cheapP95Ms: round(percentile(cheap, 95)),
        cheapMaxMs: round(Math.max(...cheap)),
      };
    } finally {
      await server.close();
      await close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Imports and indexes the generated collection unless the database already holds it complete. */
async function prepare(dbPath: string, modelDir: string, passages: number, work: string): Promise<void> {
  const service = SaegimService.open({ dbPath, modelDir, bundledDataDir: null });
  try {
    const existing = (await service.listCollections()).find((c) => c.name === COLLECTION);
    if (existing && existing.passages !== passages) await service.deleteCollection(COLLECTION);
    if (!existing || existing.passages !== passages) {
      const file = join(work, 'burst.jsonl');
      writeFileSync(file, recombinedCorpus(passages));
      await service.importDataset({ path: file, name: COLLECTION, format: 'jsonl' });
    }
    let last = 0;
    await service.indexCollection(
      { collection: COLLECTION },
      {
        onProgress: (p) => {
          if (Date.now() - last < 5000 && p.done < p.total) return;
          last = Date.now();
          process.stderr.write(`bench burst: indexing ${p.done}/${p.total}\n`);
        },
      },
    );
  } finally {
    await service.close();
  }
}
