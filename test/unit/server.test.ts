import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationReport, IndexReport, OperationControl, Progress, SearchResponse } from '../../main/contract/api.js';
import { ImportError } from '../../main/contract/errors.js';
import { arity, isLongMethod, METHOD_NAMES, type SaegimApi } from '../../main/contract/methods.js';
import { callPath, httpStatusFor, jobCancelPath, jobEventsPath, jobPath } from '../../main/contract/wire.js';
import { startServer, type RunningServer } from '../../main/server.js';
import { SaegimService } from '../../main/service.js';
import { ROOT, slowedApi } from '../browser/harness.js';

/**
 * main/server.ts in front of the real engine: the bundled model, a fresh database, small real datasets.
 * Every request carries the server's token unless a test is about the token.
 */
const MINI_BEIR = join(ROOT, 'test', 'fixtures', 'mini-beir');
const BAD_JSONL = join(ROOT, 'test', 'fixtures', 'datasets', 'jsonl', 'bad-lines.jsonl');
const KORQUAD_MINI = join(ROOT, 'test', 'fixtures', 'datasets', 'squad', 'korquad-mini.json');
const DEMO_CORPUS = join(ROOT, 'assets', 'datasets', 'demo-ko', 'corpus.jsonl');
/** Passages in the demo slice that jobs are cancelled on: enough one-passage batches to outlast a round trip. */
const SLICE_PASSAGES = 100;
const ORPHAN_GRACE_MS = 600;

let home: string;
let staticDir: string;
let service: SaegimService;
let server: RunningServer;
/** Paths to JSONL slices of the demo corpus, one per test that needs its own collection. */
let slice: string;

/**
 * The engine as the server sees it, with each long operation's signal recorded so a test can tell when the
 * server told it to stop; progress is held back a little so a job outlasts the requests that steer it.
 */
const signals: AbortSignal[] = [];
function observedApi(api: SaegimApi): SaegimApi {
  const slowed = slowedApi(api, 15);
  const watch = (ctl?: OperationControl) => {
    if (ctl?.signal) signals.push(ctl.signal);
    return ctl;
  };
  return {
    ...slowed,
    indexCollection: (req, ctl) => slowed.indexCollection(req, watch(ctl)),
  };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'saegim-server-'));
  staticDir = join(home, 'static');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>새김</title>');
  writeFileSync(join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
  writeFileSync(join(home, 'saegim-secret.txt'), 'PRIVATE-CONTENTS');
  const lines = readFileSync(DEMO_CORPUS, 'utf8').split('\n').filter(Boolean).slice(0, SLICE_PASSAGES);
  slice = join(home, 'demo-slice.jsonl');
  writeFileSync(slice, lines.map((l) => JSON.stringify({ id: JSON.parse(l)._id, title: JSON.parse(l).title, text: JSON.parse(l).text })).join('\n') + '\n');

  service = SaegimService.open({ dbPath: join(home, 'saegim.db'), bundledDataDir: null });
  await service.importDataset({ path: MINI_BEIR, name: 'mini' });
  await service.indexCollection({ collection: 'mini' });
  server = await startServer(observedApi(service), { port: 0, staticDir: join(home, 'static'), jobs: { orphanGraceMs: ORPHAN_GRACE_MS } });
});

afterAll(async () => {
  await server?.close();
  await service?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const bearer = () => ({ Authorization: `Bearer ${server.token}` });

function post(path: string, body: unknown, headers: Record<string, string> = bearer()) {
  return fetch(server.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function errorOf(res: Response): Promise<{ code: string; message: string; details?: unknown }> {
  return ((await res.json()) as { error: { code: string; message: string; details?: unknown } }).error;
}

/** A request exactly as written: fetch would normalise dot segments and bad escapes before sending. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(server.url);
  return new Promise((done, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * Reads a job's event stream to its end (the server closes it after `result` or `error`); `onEvent`
 * returning 'stop' closes the stream from this side instead.
 */
async function readEvents(jobId: string, onEvent?: (e: SseEvent) => void | 'stop'): Promise<SseEvent[]> {
  const controller = new AbortController();
  const res = await fetch(server.url + jobEventsPath(jobId), { headers: bearer(), signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
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
          if (onEvent?.(e) === 'stop') {
            controller.abort();
            return events;
          }
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return events;
}

async function startJob(method: string, args: unknown[]): Promise<string> {
  const res = await post(jobPath(method), args);
  expect(res.status).toBe(202);
  const { jobId } = (await res.json()) as { jobId: string };
  expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
  return jobId;
}

async function collectionNames(): Promise<string[]> {
  return (await service.listCollections()).map((c) => c.name);
}

describe('startServer', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    await expect(startServer(service, { staticDir, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1 only/);
  });

  it('answers a call with what the engine returns', async () => {
    const request = { collection: 'mini', query: '훈민정음을 만든 임금은?', k: 3 };
    const res = await post(callPath('search'), [request]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: SearchResponse };
    expect(body.result.query).toBe('훈민정음을 만든 임금은?');
    expect(body.result.results.map((r) => r.method)).toEqual(['mvr', 'bm25', 'svr', 'hybrid']);
    expect(body.result.results[1]!.hits[0]!.docId).toBe('d5');
    expect(body.result.results[0]!.hits).toHaveLength(3);
    const direct = await service.search(request);
    const ids = (r: SearchResponse) => r.results.map((m) => [m.method, m.hits.map((h) => h.docId)]);
    expect(ids(body.result)).toEqual(ids(direct));
  });

  it('answers a method without a result with result null', async () => {
    await service.importDataset({ path: MINI_BEIR, name: '위키-문단-표본' });
    const res = await post(callPath('deleteCollection'), ['위키-문단-표본']);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: null });
    expect(await collectionNames()).not.toContain('위키-문단-표본');
  });

  it('rejects an unknown method with 404 and a WireError', async () => {
    const res = await post(callPath('dropDatabase'), []);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not-found', message: 'unknown API method "dropDatabase"' } });
    expect((await post(callPath('constructor'), [])).status).toBe(404);
    expect((await post(callPath('__proto__'), [])).status).toBe(404);
  });

  it('maps SaegimError codes to HTTP statuses', async () => {
    const missing = await post(callPath('explain'), [{ collection: 'mini', query: '세종', docId: 'nope' }]);
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('not-found');
    const noCollection = await post(callPath('search'), [{ collection: '없는-컬렉션', query: '세종' }]);
    expect(noCollection.status).toBe(404);
    const bad = await post(callPath('search'), [{ collection: 'mini', query: '   ' }]);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('bad-input');
    const model = await post(callPath('updateSettings'), [{ modelDir: join(home, 'not-a-model') }]);
    expect(model.status).toBe(422);
    expect((await errorOf(model)).code).toBe('model-invalid');
    const duplicate = await post(callPath('importDataset'), [{ path: MINI_BEIR, name: 'mini' }]);
    expect(duplicate.status).toBe(409);
    expect(httpStatusFor('cancelled')).toBe(499);
    expect(httpStatusFor('internal')).toBe(500);
    expect(httpStatusFor('model-missing')).toBe(422);
  });

  it('passes import issues through as error details', async () => {
    const res = await post(callPath('importDataset'), [{ path: BAD_JSONL }]);
    expect(res.status).toBe(422);
    const error = (await errorOf(res)) as { code: string; details: Array<{ file: string; line: number; field?: string; reason: string }> };
    expect(error.code).toBe('import-failed');
    // Line 3 of the fixture has a trailing comma: the first bad record, named by file and line.
    expect(error.details[0]).toMatchObject({ file: BAD_JSONL, line: 3 });
    expect(error.details[0]!.reason).not.toBe('');
    const direct = await service.importDataset({ path: BAD_JSONL }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(direct).toBeInstanceOf(ImportError);
    expect(error.details).toEqual(JSON.parse(JSON.stringify((direct as ImportError).issues)));
    expect(await collectionNames()).not.toContain('bad-lines');
  });

  it('refuses more arguments than the method takes, so a client cannot pass an OperationControl', async () => {
    const res = await post(callPath('evaluate'), [{ collection: 'mini' }, { signal: null }]);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/takes 1 argument/);
  });

  it('refuses a malformed argument and leaves the engine untouched', async () => {
    await service.importDataset({ path: MINI_BEIR, name: 'x' });
    const res = await post(callPath('deleteCollection'), [['x']]);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('bad-input');
    expect(await collectionNames()).toContain('x');
    await service.deleteCollection('x');
  });

  it('routes every method of the table, checking its arguments', async () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(0);
    for (const method of METHOD_NAMES) {
      // null is no method's argument (they take strings, numbers and objects); zero-argument methods take none.
      const invalid = [Array(Math.max(1, arity(method))).fill(null), Array(arity(method) + 1).fill({})];
      for (const args of invalid) {
        const res = await post(callPath(method), args);
        const error = await errorOf(res);
        expect([res.status, error.code], `${method}(${JSON.stringify(args)})`).toEqual([400, 'bad-input']);
        expect(error.message, method).not.toMatch(/no API route|unknown API method/);
        if (isLongMethod(method)) {
          const job = await post(jobPath(method), args);
          expect(job.status, `${method} as a job`).toBe(400);
          expect((await errorOf(job)).message).not.toMatch(/no API route|unknown API method/);
        }
      }
    }
  });

  it('rejects non-JSON bodies, non-array bodies and oversized bodies', async () => {
    const text = await fetch(server.url + callPath('info'), { method: 'POST', headers: { 'Content-Type': 'text/plain', ...bearer() }, body: '[]' });
    expect(text.status).toBe(415);
    const notArray = await post(callPath('info'), { a: 1 });
    expect(notArray.status).toBe(400);
    const broken = await fetch(server.url + callPath('info'), { method: 'POST', headers: { 'Content-Type': 'application/json', ...bearer() }, body: '[' });
    expect(broken.status).toBe(400);
    const big = await post(callPath('search'), [{ collection: 'mini', query: '가'.repeat(600_000) }]);
    expect(big.status).toBe(413);
  });

  it('answers 405 to the wrong HTTP method', async () => {
    expect((await fetch(server.url + callPath('info'), { headers: bearer() })).status).toBe(405);
    expect((await fetch(server.url + '/', { method: 'POST' })).status).toBe(405);
    const jobId = await startJob('evaluate', [{ collection: 'mini', methods: ['bm25'] }]);
    expect((await post(jobEventsPath(jobId), [])).status).toBe(405);
    await readEvents(jobId);
  });

  it('answers 400 to a malformed escape in an API path', async () => {
    const res = await raw('/api/call/%E0%A4%A', bearer());
    expect(res.status).toBe(400);
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe('bad-input');
  });

  it('refuses cross-origin and cross-site requests', async () => {
    expect((await post(callPath('info'), [], { ...bearer(), Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(callPath('info'), [], { ...bearer(), 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await post(callPath('info'), [], { ...bearer(), Origin: server.url })).status).toBe(200);
    expect((await raw('/', { Host: 'attacker.example:80' })).status).toBe(403);
  });

  it('refuses Origin: null (a sandboxed frame or a file:// page), even with the token', async () => {
    const res = await post(callPath('info'), [], { ...bearer(), Origin: 'null' });
    expect(res.status).toBe(403);
    expect((await raw('/', { Origin: 'null' })).status).toBe(403);
  });

  it('runs a job and streams its progress, then its result', async () => {
    const imported = await post(callPath('importDataset'), [{ path: KORQUAD_MINI, name: '코쿼드' }]);
    expect(imported.status).toBe(200);
    const passages = ((await imported.json()) as { result: { passages: number } }).result.passages;
    expect(passages).toBeGreaterThan(2);
    const jobId = await startJob('indexCollection', [{ collection: '코쿼드', batchSize: 1 }]);
    const events = await readEvents(jobId);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data as Progress);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((p) => p.phase === 'encoding' && p.total === passages)).toBe(true);
    expect(progress.map((p) => p.done)).toEqual(progress.map((p) => p.done).sort((a, b) => a - b));
    expect(progress.at(-1)!.done).toBe(passages);
    expect(events.filter((e) => e.event !== 'progress')).toHaveLength(1);
    const last = events.at(-1)!;
    expect(last.event).toBe('result');
    const report = (last.data as { result: IndexReport }).result;
    expect(report.encoded).toBe(passages);
    expect(report.totalIndexed).toBe(passages);
    expect(report.model.name).toBe('saegim-dlm-mini-ko');
    expect((await service.listCollections()).find((c) => c.name === '코쿼드')!.indexed).toBe(passages);
  });

  it('replays the outcome to a subscriber that arrives after the job finished', async () => {
    const jobId = await startJob('evaluate', [{ collection: 'mini', methods: ['bm25'], k: 5 }]);
    const first = await readEvents(jobId);
    expect(first.at(-1)!.event).toBe('result');
    const late = await readEvents(jobId);
    expect(late.map((e) => e.event)).toEqual(['progress', 'result']);
    const report = (late[1]!.data as { result: EvaluationReport }).result;
    expect(report.k).toBe(5);
    expect(report.methods.bm25!['hit@5']).toBeGreaterThan(0.5);
    const direct = await service.evaluate({ collection: 'mini', methods: ['bm25'], k: 5 });
    expect(report.methods.bm25).toEqual(direct.methods.bm25);
  });

  it('cancels a running job: the stream ends with a cancelled error', async () => {
    await service.importDataset({ path: slice, name: '취소-시험' });
    const jobId = await startJob('indexCollection', [{ collection: '취소-시험', batchSize: 1 }]);
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
    expect((await service.listCollections()).find((c) => c.name === '취소-시험')!.indexed).toBeLessThan(SLICE_PASSAGES);
  });

  it('cancels a job whose event stream closed and never came back, after the grace period', async () => {
    await service.importDataset({ path: slice, name: '버려진-작업' });
    const before = signals.length;
    const jobId = await startJob('indexCollection', [{ collection: '버려진-작업', batchSize: 1 }]);
    await readEvents(jobId, (e) => (e.event === 'progress' ? 'stop' : undefined));
    const closedAt = Date.now();
    const signal = signals[before]!;
    expect(signal).toBeDefined();
    expect(signal.aborted).toBe(false);
    const abortedAt = await new Promise<number>((done) => signal.addEventListener('abort', () => done(Date.now()), { once: true }));
    // Not before the grace: EventSource's own reconnect must find the job still running.
    expect(abortedAt - closedAt).toBeGreaterThanOrEqual(ORPHAN_GRACE_MS - 20);
    // Read only now, once the engine was told to stop: the outcome is replayed.
    const outcome = (await readEvents(jobId)).at(-1)!;
    expect(outcome.event).toBe('error');
    expect((outcome.data as { error: { code: string } }).error.code).toBe('cancelled');
    expect((await service.listCollections()).find((c) => c.name === '버려진-작업')!.indexed).toBeLessThan(SLICE_PASSAGES);
  });

  it('keeps a job whose stream comes back within the grace period', async () => {
    await service.importDataset({ path: slice, name: '다시-연결' });
    const jobId = await startJob('indexCollection', [{ collection: '다시-연결', batchSize: 2 }]);
    await readEvents(jobId, (e) => (e.event === 'progress' ? 'stop' : undefined));
    await new Promise((r) => setTimeout(r, ORPHAN_GRACE_MS / 6));
    const outcome = (await readEvents(jobId)).at(-1)!;
    expect(outcome.event).toBe('result');
    expect((outcome.data as { result: IndexReport }).result.totalIndexed).toBe(SLICE_PASSAGES);
  });

  it('refuses to run a short method as a job, and answers 404 for unknown jobs', async () => {
    expect((await post(jobPath('search'), [{ collection: 'mini', query: '서울' }])).status).toBe(404);
    expect((await post(jobPath('dropDatabase'), [])).status).toBe(404);
    expect((await fetch(server.url + jobEventsPath('no-such-job'), { headers: bearer() })).status).toBe(404);
    expect((await post(jobCancelPath('no-such-job'), [])).status).toBe(404);
    const other = await post('/api/other/thing', []);
    expect(other.status).toBe(404);
    expect((await errorOf(other)).message).toMatch(/no API route/);
  });

  it('offers every SaegimApi method and nothing else of the service', async () => {
    expect(METHOD_NAMES).toEqual(
      expect.arrayContaining(['ablate', 'deleteCollection', 'evaluate', 'explain', 'getSettings', 'importDataset', 'indexCollection', 'info', 'listCollections', 'search', 'updateSettings', 'validateModel']),
    );
    for (const method of METHOD_NAMES) expect(typeof service[method], method).toBe('function');
    // The service's own housekeeping is not API: no page may close the database or rerun the first run.
    for (const method of ['close', 'bootstrap', 'settings', 'encoder', 'store']) {
      const res = await post(callPath(method), []);
      expect(res.status, method).toBe(404);
      expect(await errorOf(res)).toEqual({ code: 'not-found', message: `unknown API method "${method}"` });
    }
    expect((await post(callPath('info'), [])).status).toBe(200);
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
    // The secret sits beside the static folder, one level up.
    for (const path of ['/../saegim-secret.txt', '/%2e%2e/saegim-secret.txt', '/assets/..%2f..%2fsaegim-secret.txt', '/..%5csaegim-secret.txt']) {
      const { status, body } = await raw(path);
      expect([400, 404], path).toContain(status);
      expect(body).not.toContain('PRIVATE-CONTENTS');
    }
  });
});

describe('the API token', () => {
  const wrong = () => server.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));

  it('is long and random', () => {
    expect(server.token).toMatch(/^[0-9a-f]{48}$/);
    expect(server.pageUrl).toBe(`${server.url}/?token=${server.token}`);
  });

  it('refuses an API call without a token, or with a wrong one, with 401', async () => {
    const refused: Array<Record<string, string>> = [{}, { Authorization: `Bearer ${wrong()}` }, { Authorization: server.token }, { Cookie: `saegim-token-${server.port}=${wrong()}` }];
    for (const headers of refused) {
      const res = await post(callPath('listCollections'), [], headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect((await errorOf(res)).code).toBe('unauthorized');
    }
    const job = await post(jobPath('indexCollection'), [{ collection: 'mini' }], {});
    expect(job.status).toBe(401);
  });

  it('refuses a job event stream or cancel without the token, even for a job that exists', async () => {
    const jobId = await startJob('evaluate', [{ collection: 'mini', methods: ['bm25'] }]);
    const refused: Array<Record<string, string>> = [{}, { Authorization: `Bearer ${wrong()}` }];
    for (const headers of refused) {
      const events = await fetch(server.url + jobEventsPath(jobId), { headers });
      expect(events.status).toBe(401);
      expect((await errorOf(events)).code).toBe('unauthorized');
      expect((await post(jobCancelPath(jobId), [], headers)).status).toBe(401);
    }
    expect((await readEvents(jobId)).at(-1)!.event).toBe('result');
  });

  it('accepts Authorization: Bearer, which the same request lacking it does not get past', async () => {
    expect((await post(callPath('listCollections'), [], {})).status).toBe(401);
    const res = await post(callPath('listCollections'), [], bearer());
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: Array<{ name: string }> }).result.map((c) => c.name)).toContain('mini');
  });

  it('trades ?token= for an HttpOnly SameSite=Strict cookie and a redirect without it', async () => {
    const page = await fetch(server.pageUrl, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/');
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toContain(server.token);
    const pair = cookie.split(';')[0]!;
    expect(pair).toBe(`saegim-token-${server.port}=${server.token}`);

    const deep = await fetch(`${server.url}/evaluate?tab=1&token=${server.token}`, { redirect: 'manual' });
    expect(deep.status).toBe(303);
    expect(deep.headers.get('location')).toBe('/evaluate?tab=1');

    const withCookie = await post(callPath('info'), [], { Cookie: pair });
    expect(withCookie.status).toBe(200);
    const jobId = await startJob('evaluate', [{ collection: 'mini', methods: ['bm25'] }]);
    const events = await fetch(server.url + jobEventsPath(jobId), { headers: { Cookie: pair } });
    expect(events.status).toBe(200);
    await events.text();
  });

  it('answers a wrong ?token= with 401 and no cookie', async () => {
    const res = await fetch(`${server.url}/?token=${wrong()}`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await errorOf(res)).code).toBe('unauthorized');
  });
});
