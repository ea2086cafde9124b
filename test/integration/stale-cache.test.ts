import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResponse } from '../../main/contract/api.js';
import { startServer, type RunningServer } from '../../main/server.js';
import { SaegimService } from '../../main/service.js';

const CLI = fileURLToPath(new URL('../../bin/saegim', import.meta.url));
const DEMO = fileURLToPath(new URL('../../assets/datasets/demo-ko', import.meta.url));
const QUERY = '조선 시대에 백성을 위해 새로운 글자를 만든 임금은 누구인가?';
const METHODS = 'mvr,bm25,svr,hybrid';

let work: string;
let db: string;
let service: SaegimService;
let server: RunningServer;

/** A separate CLI process; asynchronous, so the server in this process keeps answering meanwhile. */
function saegim(...args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [CLI, ...args, '--db', db], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`saegim ${args.join(' ')} failed: ${stderr}`));
      else done(stdout);
    });
  });
}

/** What a search says, as ids and scores per method: the part a stale cache would get wrong. */
function ranking(response: SearchResponse): Record<string, Array<[string, number]>> {
  return Object.fromEntries(response.results.map((r) => [r.method, r.hits.map((h) => [h.docId, h.score] as [string, number])]));
}

async function serverSearch(): Promise<SearchResponse> {
  const res = await fetch(`${server.url}/api/call/search`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify([{ collection: 'c', query: QUERY, methods: METHODS.split(','), k: 10 }]),
  });
  const body = (await res.json()) as { result?: SearchResponse; error?: unknown };
  if (!res.ok) throw new Error(JSON.stringify(body.error));
  return body.result!;
}

async function cliSearch(): Promise<SearchResponse> {
  return JSON.parse(await saegim('search', 'c', QUERY, '--method', METHODS, '--k', '10', '--json')) as SearchResponse;
}

function expectSameRanking(a: SearchResponse, b: SearchResponse): void {
  const ra = ranking(a);
  const rb = ranking(b);
  expect(Object.keys(ra)).toEqual(Object.keys(rb));
  for (const method of Object.keys(ra)) {
    expect(ra[method]!.map(([id]) => id), method).toEqual(rb[method]!.map(([id]) => id));
    ra[method]!.forEach(([, score], i) => expect(score, `${method} #${i + 1}`).toBeCloseTo(rb[method]![i]![1], 5));
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-stale-'));
  db = join(work, 'saegim.db');
  await saegim('import', DEMO, '--name', 'c');
  await saegim('index', 'c');
  // A second corpus under the same name: other ids, a third of the passages, each with a new first line.
  const lines = readFileSync(join(DEMO, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 100);
  writeFileSync(
    join(work, 'other.jsonl'),
    lines.map((l) => {
      const p = JSON.parse(l) as { _id: string; title?: string; text: string };
      return JSON.stringify({ id: `x-${p._id}`, text: `${p.title ?? ''}. ${p.text}` });
    }).join('\n'),
  );
  // The long-lived side, as `saegim serve` holds it: one service, its caches warm across requests.
  service = SaegimService.open({ dbPath: db, bundledDataDir: null });
  server = await startServer(service, { port: 0, staticDir: join(work, 'no-renderer') });
});

afterAll(async () => {
  await server?.close();
  await service?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a long-lived server beside CLI processes that change the same collection', () => {
  it('answers like a fresh CLI after the collection is deleted, re-imported and re-indexed elsewhere', async () => {
    const before = await serverSearch();
    expectSameRanking(before, await cliSearch());
    expect(before.results[0]!.hits[0]!.docId).not.toMatch(/^x-/);

    await saegim('delete', 'c');
    await saegim('import', join(work, 'other.jsonl'), '--name', 'c');
    await saegim('index', 'c');
    const after = await serverSearch();
    for (const r of after.results) for (const h of r.hits) expect(h.docId).toMatch(/^x-/);
    expectSameRanking(after, await cliSearch());
  });

  it('answers like a fresh CLI after another process rebuilds the index at another precision', async () => {
    await serverSearch();
    await saegim('index', 'c', '--rebuild', '--precision', 'fp32');
    const fp32 = await serverSearch();
    expectSameRanking(fp32, await cliSearch());
    await saegim('index', 'c', '--rebuild', '--precision', 'fp16');
    expectSameRanking(await serverSearch(), await cliSearch());
  });
});
