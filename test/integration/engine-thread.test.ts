import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress, SearchResponse } from '../../main/contract/api.js';
import { SaegimService } from '../../main/service.js';

// The worker thread loads compiled JavaScript, so this test drives the built engine (npm test builds first).
const DIST = fileURLToPath(new URL('../../dist/main/', import.meta.url));
const DEMO = fileURLToPath(new URL('../../assets/datasets/demo-ko', import.meta.url));

type ThreadModule = typeof import('../../main/rpc/engine-thread.js');
type ProxyModule = typeof import('../../main/rpc/engine-proxy.js');
type ServerModule = typeof import('../../main/server.js');
const load = <T>(file: string) => import(pathToFileURL(join(DIST, file)).href) as Promise<T>;

let work: string;
let dbPath: string;
let thread: ThreadModule;
let proxy: ProxyModule;
let serverModule: ServerModule;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-thread-'));
  dbPath = join(work, 'saegim.db');
  [thread, proxy, serverModule] = await Promise.all([load<ThreadModule>('rpc/engine-thread.js'), load<ProxyModule>('rpc/engine-proxy.js'), load<ServerModule>('server.js')]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the engine in a worker thread', () => {
  it('answers the API like the service itself, with progress for long operations', async () => {
    const engine = thread.engineThread({ dbPath, modelDir: null, demo: false });
    await engine.startAndWait();
    const api = proxy.engineApi(engine);
    try {
      const progress: Progress[] = [];
      const report = await api.importDataset({ path: DEMO, name: 'demo' }, { onProgress: (p) => progress.push(p) });
      expect(report.passages).toBe(300);
      expect(progress.length).toBeGreaterThan(0);
      await api.indexCollection({ collection: 'demo' });
      const request = { collection: 'demo', query: '훈민정음을 만든 임금', methods: ['mvr', 'bm25', 'svr', 'hybrid'] as const, k: 5 };
      const viaThread = await api.search({ ...request, methods: [...request.methods] });
      const direct = SaegimService.open({ dbPath, bundledDataDir: null });
      let inProcess: SearchResponse;
      try {
        inProcess = await direct.search({ ...request, methods: [...request.methods] });
      } finally {
        await direct.close();
      }
      expect(viaThread.results.map((r) => r.hits.map((h) => h.docId))).toEqual(inProcess.results.map((r) => r.hits.map((h) => h.docId)));
      const missing = await api.search({ collection: 'nope', query: 'x' }).catch((e: { code?: string }) => e);
      expect((missing as { code?: string }).code).toBe('not-found');
    } finally {
      await engine.stop();
    }
  });

  it('keeps cheap calls answering during a search burst, and refuses searches past the queue with 503', async () => {
    const engine = thread.engineThread({ dbPath, modelDir: null, demo: false }, { queue: { concurrency: 1, maxWaiting: 4 } });
    await engine.startAndWait();
    const server = await serverModule.startServer(proxy.engineApi(engine), { port: 0, staticDir: work });
    const call = (method: string, args: unknown[]) =>
      fetch(`${server.url}/api/call/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
      });
    try {
      const searches = Array.from({ length: 24 }, (_, i) => call('search', [{ collection: 'demo', query: `조선 임금 ${i}`, methods: ['mvr', 'bm25', 'svr', 'hybrid'] }]));
      const info = await call('info', []);
      expect(info.status).toBe(200);
      const done = await Promise.all(searches);
      const statuses = done.map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
      for (const r of done.filter((d) => d.status === 503)) {
        const body = (await r.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('busy');
        expect(body.error.message).toMatch(/searches are already waiting/);
      }
    } finally {
      await server.close();
      await engine.stop();
    }
  });

  it('reports in one line why the engine could not start', async () => {
    const bad = join(work, 'bad.db');
    writeFileSync(bad, 'not a database, just text that is long enough for SQLite to read a header from it');
    const engine = thread.engineThread({ dbPath: bad, modelDir: null, demo: false });
    await expect(engine.startAndWait()).rejects.toThrow(/the file is not a Saegim \(SQLite\) database/);
    await engine.stop();
  });
});
