import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationReport, IndexReport, Progress, SearchResponse } from '../../main/contract/api.js';
import { API_METHODS, callPath, httpStatusFor, jobCancelPath, jobEventsPath, jobPath } from '../../main/contract/wire.js';
import { startServer, type RunningServer } from '../../main/server.js';
import { FakeSaegimApi } from '../browser/fake-api.js';

let server: RunningServer;
let api: FakeSaegimApi;
let staticDir: string;

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'saegim-static-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>새김</title>');
  writeFileSync(join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'saegim-secret.txt'), 'PRIVATE-CONTENTS');
  api = new FakeSaegimApi({ stepMs: 15 });
  server = await startServer(api, { port: 0, staticDir });
});

afterAll(async () => {
  await server.close();
  rmSync(staticDir, { recursive: true, force: true });
});

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(server.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a job's event stream to its end (the server closes it after `result` or `error`). */
async function readEvents(jobId: string, onEvent?: (e: SseEvent) => void): Promise<SseEvent[]> {
  const res = await fetch(server.url + jobEventsPath(jobId));
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) {
        const e = { event, data: JSON.parse(data) as unknown };
        events.push(e);
        onEvent?.(e);
      }
    }
  }
  return events;
}

describe('startServer', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    await expect(startServer(api, { staticDir, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1 only/);
  });

  it('answers a call with the method result', async () => {
    const res = await post(callPath('search'), [{ collection: 'demo-ko', query: '한글을 만든 왕', k: 3 }]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: SearchResponse };
    expect(body.result.query).toBe('한글을 만든 왕');
    expect(body.result.results.map((r) => r.method)).toEqual(['mvr', 'bm25', 'svr', 'hybrid']);
    expect(body.result.results[1]!.hits[0]!.docId).toBe('d01');
    expect(body.result.results[0]!.hits).toHaveLength(3);
  });

  it('answers a method without a result with result null', async () => {
    const res = await post(callPath('deleteCollection'), ['위키-문단-표본']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: null });
  });

  it('rejects an unknown method with 404 and a WireError', async () => {
    const res = await post(callPath('dropDatabase'), []);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not-found', message: 'unknown API method "dropDatabase"' } });
    expect((await post(callPath('constructor'), [])).status).toBe(404);
    expect((await post(callPath('__proto__'), [])).status).toBe(404);
  });

  it('maps SaegimError codes to HTTP statuses', async () => {
    const missing = await post(callPath('explain'), [{ collection: 'demo-ko', query: '세종', docId: 'nope' }]);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not-found');
    const bad = await post(callPath('search'), [{ collection: 'demo-ko', query: '   ' }]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad-input');
    const model = await post(callPath('updateSettings'), [{ modelDir: '/tmp/bad-folder' }]);
    expect(model.status).toBe(422);
    expect(((await model.json()) as { error: { code: string } }).error.code).toBe('model-invalid');
    expect(httpStatusFor('cancelled')).toBe(499);
    expect(httpStatusFor('internal')).toBe(500);
    expect(httpStatusFor('model-missing')).toBe(422);
  });

  it('passes import issues through as error details', async () => {
    const res = await post(callPath('importDataset'), [{ path: '/data/bad-set' }]);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: Array<{ file: string; line: number; reason: string }> } };
    expect(body.error.code).toBe('import-failed');
    expect(body.error.details[0]).toEqual({ file: '/data/bad-set/corpus.jsonl', line: 7, field: 'text', reason: 'expected a string, got null' });
  });

  it('refuses more arguments than the method takes, so a client cannot pass an OperationControl', async () => {
    const res = await post(callPath('evaluate'), [{ collection: 'demo-ko' }, { signal: null }]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/takes 1 argument/);
  });

  it('rejects non-JSON bodies, non-array bodies and oversized bodies', async () => {
    const text = await fetch(server.url + callPath('info'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '[]' });
    expect(text.status).toBe(415);
    const notArray = await post(callPath('info'), { a: 1 });
    expect(notArray.status).toBe(400);
    const broken = await fetch(server.url + callPath('info'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[' });
    expect(broken.status).toBe(400);
    const big = await post(callPath('search'), [{ collection: 'demo-ko', query: '가'.repeat(600_000) }]);
    expect(big.status).toBe(413);
  });

  it('refuses cross-origin and cross-site requests', async () => {
    expect((await post(callPath('info'), [], { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(callPath('info'), [], { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await post(callPath('info'), [], { Origin: server.url })).status).toBe(200);
    const rebound = await new Promise<number>((done, fail) => {
      const u = new URL(server.url);
      const req = request({ host: u.hostname, port: u.port, path: '/', headers: { Host: 'attacker.example:80' } }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', fail);
      req.end();
    });
    expect(rebound).toBe(403);
  });

  it('runs a job and streams its progress, then its result', async () => {
    const imported = await post(callPath('importDataset'), [{ path: '/data/korquad-sample.json', name: '코쿼드' }]);
    expect(imported.status).toBe(200);
    const res = await post(jobPath('indexCollection'), [{ collection: '코쿼드' }]);
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const events = await readEvents(jobId);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data as Progress);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((p) => p.phase === 'encoding' && p.total === 8)).toBe(true);
    expect(progress.at(-1)!.done).toBe(8);
    const last = events.at(-1)!;
    expect(last.event).toBe('result');
    const report = (last.data as { result: IndexReport }).result;
    expect(report.encoded).toBe(8);
    expect(report.totalIndexed).toBe(8);
  });

  it('replays the outcome to a subscriber that arrives after the job finished', async () => {
    const res = await post(jobPath('evaluate'), [{ collection: 'demo-ko', methods: ['bm25'], k: 5 }]);
    const { jobId } = (await res.json()) as { jobId: string };
    await new Promise((r) => setTimeout(r, 400));
    const events = await readEvents(jobId);
    expect(events.map((e) => e.event)).toEqual(['progress', 'result']);
    const report = (events[1]!.data as { result: EvaluationReport }).result;
    expect(report.k).toBe(5);
    expect(report.methods.bm25!['hit@5']).toBeGreaterThan(0.5);
  });

  it('cancels a running job: the stream ends with a cancelled error', async () => {
    await post(callPath('importDataset'), [{ path: '/data/another.jsonl', name: '취소-시험' }]);
    const res = await post(jobPath('indexCollection'), [{ collection: '취소-시험' }]);
    const { jobId } = (await res.json()) as { jobId: string };
    let cancelled: Promise<Response> | null = null;
    const events = await readEvents(jobId, (e) => {
      if (e.event === 'progress' && !cancelled) cancelled = post(jobCancelPath(jobId), []);
    });
    const cancelRes = await cancelled!;
    expect(cancelRes.status).toBe(200);
    expect(await cancelRes.json()).toEqual({ result: { cancelled: true } });
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect((last.data as { error: { code: string } }).error.code).toBe('cancelled');
    const again = await post(jobCancelPath(jobId), []);
    expect(await again.json()).toEqual({ result: { cancelled: false } });
  });

  it('refuses to run a short method as a job, and answers 404 for unknown jobs', async () => {
    expect((await post(jobPath('search'), [{ collection: 'demo-ko', query: '서울' }])).status).toBe(404);
    expect((await fetch(server.url + jobEventsPath('no-such-job'))).status).toBe(404);
    expect((await post(jobCancelPath('no-such-job'), [])).status).toBe(404);
  });

  it('lists every SaegimApi method and nothing else', () => {
    expect([...API_METHODS].sort()).toEqual(
      ['ablate', 'deleteCollection', 'evaluate', 'explain', 'getSettings', 'importDataset', 'indexCollection', 'info', 'listCollections', 'search', 'updateSettings', 'validateModel'],
    );
  });

  it('serves the renderer with a strict Content-Security-Policy', async () => {
    const res = await fetch(server.url + '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('새김');
    const asset = await fetch(server.url + '/assets/app-1234.js');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(server.url + '/evaluate')).status).toBe(200);
    expect((await fetch(server.url + '/missing.js')).status).toBe(404);
  });

  it('never serves files outside the static folder', async () => {
    // Raw paths: fetch would normalise the dot segments away before they reach the server.
    const u = new URL(server.url);
    for (const path of ['/../saegim-secret.txt', '/%2e%2e/saegim-secret.txt', '/assets/..%2f..%2fsaegim-secret.txt', '/..%5csaegim-secret.txt']) {
      const { status, body } = await new Promise<{ status: number; body: string }>((done, fail) => {
        const req = request({ host: u.hostname, port: u.port, path }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', fail);
        req.end();
      });
      expect([400, 404]).toContain(status);
      expect(body).not.toContain('PRIVATE-CONTENTS');
    }
  });
});
