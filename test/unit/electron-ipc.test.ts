import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appProtocolResponse } from '../../electron/app-files.js';
import { CHANNELS } from '../../electron/channels.js';
import { EngineConnection, type EngineChild, type EngineLink } from '../../electron/engine-connection.js';
import type { FromEngine, ToEngine } from '../../electron/engine-messages.js';
import { serveEngine, type EnginePort } from '../../electron/engine-worker.js';
import { createIpcHandlers, type IpcEventLike, type IpcSender } from '../../electron/ipc-handlers.js';
import { JobIdSchema } from '../../electron/ipc-schemas.js';
import type { BridgeReply } from '../../main/contract/bridge.js';
import { METHOD_NAMES, type SaegimApi } from '../../main/contract/methods.js';
import { parseCall } from '../../main/rpc/dispatch.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('Electron IPC argument validation', () => {
  it('validates every API method from the method table', () => {
    for (const method of METHOD_NAMES) expect(parseCall(method, [null, null, null, null]), method).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('accepts a well-formed call and drops fields the API does not know', () => {
    const call = parseCall('search', [{ collection: 'demo-ko', query: '한글을 만든 왕', k: 5, sneaky: true }]);
    expect(call).toEqual({ ok: true, method: 'search', args: [{ collection: 'demo-ko', query: '한글을 만든 왕', k: 5 }] });
    expect(parseCall('info', [])).toEqual({ ok: true, method: 'info', args: [] });
  });

  it('refuses unknown methods, extra arguments and wrong types', () => {
    expect(parseCall('constructor', [])).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(parseCall(42, [])).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(parseCall('info', [1])).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(parseCall('search', [{ collection: 'demo-ko', query: '서울', k: 'ten' }])).toMatchObject({
      ok: false,
      error: { code: 'bad-input', message: expect.stringContaining('0.k') },
    });
    expect(parseCall('evaluate', [{ collection: 'demo-ko' }, { onProgress: 'x' }])).toMatchObject({ ok: false });
    expect(parseCall('deleteCollection', 'demo-ko')).toMatchObject({ ok: false });
    expect(parseCall('deleteCollection', [['demo-ko']])).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(parseCall('validateModel', [{ toString: 'x' }])).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(parseCall('ablate', [{ collection: 'c', query: 'q', docId: 'd', dropQueryTokens: [-1] }])).toMatchObject({ ok: false });
  });

  it('starts only long operations as jobs', () => {
    expect(parseCall('indexCollection', [{ collection: 'demo-ko' }], { longOnly: true })).toMatchObject({ ok: true });
    expect(parseCall('search', [{ collection: 'demo-ko', query: '서울' }], { longOnly: true })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('takes only UUIDs as job ids', () => {
    expect(JobIdSchema.safeParse('3f1c2a9e-8b7d-4c6e-9f00-1a2b3c4d5e6f').success).toBe(true);
    expect(JobIdSchema.safeParse('../../etc').success).toBe(false);
  });

  it('spells the same channel names in the sandboxed preload as in the main process', () => {
    const preload = readFileSync(join(ROOT, 'electron', 'preload.cts'), 'utf8');
    const block = /const CHANNELS = \{([\s\S]*?)\} as const;/.exec(preload)![1]!;
    const spelled = Object.fromEntries([...block.matchAll(/(\w+): '([^']+)'/g)].map((m) => [m[1], m[2]]));
    expect(spelled).toEqual(CHANNELS);
  });
});

/** A page as the handlers see it: sends land in `sent`, `destroy()` fires 'destroyed' like a closed window. */
function fakePage(url = 'app://saegim/index.html'): { event: IpcEventLike; sent: unknown[][]; destroy(): void } {
  const sent: unknown[][] = [];
  const gone = new Set<() => void>();
  let destroyed = false;
  const sender: IpcSender = {
    isDestroyed: () => destroyed,
    send: (...args) => void sent.push(args),
    once: (_e, l) => gone.add(l),
    off: (_e, l) => gone.delete(l),
  };
  return {
    event: { sender, senderFrame: { url, parent: null } },
    sent,
    destroy() {
      destroyed = true;
      for (const l of [...gone]) l();
    },
  };
}

/** An engine that records requests and lets the test finish them. */
function recordingEngine() {
  const requests: Array<{ method: string; args: unknown[]; id?: string; resolve(r: BridgeReply): void; onProgress?: (p: never) => void }> = [];
  const cancelled: string[] = [];
  const engine: EngineLink = {
    request: (method, args, onProgress, id) => new Promise((resolve) => requests.push({ method, args, id, resolve, onProgress: onProgress as never })),
    cancel: (id) => void cancelled.push(id),
  };
  return { engine, requests, cancelled };
}

describe('IPC handlers (without the Electron binary)', () => {
  const isTrustedUrl = (url: string) => url.startsWith('app://saegim/');
  const JOB = '3f1c2a9e-8b7d-4c6e-9f00-1a2b3c4d5e6f';

  it('refuses messages from other pages and from frames', async () => {
    const { engine, requests } = recordingEngine();
    const h = createIpcHandlers({ engine, isTrustedUrl, jobEventChannel: 'ev', choosePath: async () => '/x' });
    const stranger = fakePage('https://evil.example/');
    expect(await h.call(stranger.event, 'info', [])).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    const framed = fakePage();
    framed.event.senderFrame = { url: 'app://saegim/index.html', parent: {} };
    expect(await h.call(framed.event, 'info', [])).toMatchObject({ ok: false });
    expect(await h.pickPath(stranger.event, 'file')).toBeNull();
    expect(requests).toHaveLength(0);
  });

  it('passes parsed arguments to the engine and nothing that fails the table', async () => {
    const { engine, requests } = recordingEngine();
    const h = createIpcHandlers({ engine, isTrustedUrl, jobEventChannel: 'ev', choosePath: async () => '/x' });
    const page = fakePage();
    expect(await h.call(page.event, 'deleteCollection', [['x']])).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    const pending = h.call(page.event, 'search', [{ collection: 'demo-ko', query: ' 서울 ', extra: 1 }]);
    await Promise.resolve();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'search', args: [{ collection: 'demo-ko', query: '서울' }] });
    requests[0]!.resolve({ ok: true, result: 42 });
    expect(await pending).toEqual({ ok: true, result: 42 });
    expect(await h.pickPath(page.event, 'folder')).toBe('/x');
    expect(await h.pickPath(page.event, 'anything')).toBeNull();
  });

  it('streams job events to the page that started the job and cancels it when the page goes away', async () => {
    const { engine, requests, cancelled } = recordingEngine();
    const h = createIpcHandlers({ engine, isTrustedUrl, jobEventChannel: 'ev', choosePath: async () => null });
    const page = fakePage();
    const other = fakePage();
    expect(await h.jobStart(page.event, JOB, 'evaluate', [{ collection: 'demo-ko' }])).toEqual({ ok: true, result: null });
    expect(await h.jobStart(page.event, JOB, 'evaluate', [{ collection: 'demo-ko' }])).toMatchObject({ ok: false, error: { code: 'duplicate' } });
    expect(await h.jobStart(page.event, 'not-a-uuid', 'evaluate', [{ collection: 'demo-ko' }])).toMatchObject({ ok: false });
    expect(await h.jobStart(page.event, '4f1c2a9e-8b7d-4c6e-9f00-1a2b3c4d5e6f', 'search', [{ collection: 'c', query: 'q' }])).toMatchObject({ ok: false });
    requests[0]!.onProgress?.({ phase: 'scoring', done: 1, total: 2 } as never);
    expect(page.sent).toEqual([['ev', JOB, { type: 'progress', progress: { phase: 'scoring', done: 1, total: 2 } }]]);
    await h.jobCancel(other.event, JOB);
    expect(cancelled).toEqual([]);
    page.destroy();
    expect(cancelled).toEqual([JOB]);
  });
});

describe('engine connection and worker (without the Electron binary)', () => {
  /** The engine's utility process as a pair of in-memory ports: the real serveEngine on one side. */
  function inMemoryEngine(api: SaegimApi) {
    const children: Array<{ exit(code: number): void }> = [];
    const spawn = (): EngineChild => {
      const toParent = new Set<(m: FromEngine) => void>();
      const exits = new Set<(c: number) => void>();
      const toChild = new Set<(e: { data: ToEngine }) => void>();
      let alive = true;
      const port: EnginePort = { postMessage: (m) => alive && toParent.forEach((l) => l(m)), on: (_e, l) => toChild.add(l) };
      void serveEngine(port, api, async () => undefined);
      const child: EngineChild = {
        postMessage: (m) => queueMicrotask(() => alive && toChild.forEach((l) => l({ data: m }))),
        on: ((event: string, l: never) => (event === 'message' ? toParent.add(l) : exits.add(l))) as EngineChild['on'],
        once: (_e, l) => exits.add(l),
        kill: () => {
          alive = false;
          exits.forEach((l) => l(9));
          return true;
        },
      };
      children.push({
        exit(code) {
          alive = false;
          exits.forEach((l) => l(code));
        },
      });
      return child;
    };
    return { spawn, children };
  }

  const api = {
    info: async () => ({ version: 'x' }),
    evaluate: (_req: unknown, ctl?: { onProgress?: (p: unknown) => void; signal?: AbortSignal }) =>
      new Promise((resolve, reject) => {
        ctl?.onProgress?.({ phase: 'scoring', done: 0, total: 1 });
        ctl?.signal?.addEventListener('abort', () => reject(Object.assign(new Error('evaluation cancelled'), { code: 'cancelled' })));
        if (!ctl?.signal) resolve(null);
      }),
  } as unknown as SaegimApi;

  it('answers calls, forwards progress and cancels by id', async () => {
    const { spawn } = inMemoryEngine(api);
    const connection = new EngineConnection(spawn);
    expect(await connection.request('info', [])).toEqual({ ok: true, result: { version: 'x' } });
    const progress: unknown[] = [];
    const running = connection.request('evaluate', [{ collection: 'c' }], (p) => progress.push(p), 'job-1');
    await new Promise((r) => setTimeout(r, 10));
    connection.cancel('job-1');
    expect(await running).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(progress).toEqual([{ phase: 'scoring', done: 0, total: 1 }]);
  });

  it('fails pending calls when the engine dies and starts a fresh engine on the next call', async () => {
    const { spawn, children } = inMemoryEngine(api);
    const connection = new EngineConnection(spawn);
    const pending = connection.request('evaluate', [{ collection: 'c' }], () => undefined, 'job-2');
    await new Promise((r) => setTimeout(r, 10));
    children[0]!.exit(139);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('139') } });
    expect(await connection.request('info', [])).toEqual({ ok: true, result: { version: 'x' } });
    expect(children).toHaveLength(2);
  });
});

describe('app:// protocol handler (without the Electron binary)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'saegim-app-protocol-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>새김</title>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the renderer with the CSP, falls back to index.html for views and refuses escapes', async () => {
    const js = await appProtocolResponse(dir, 'app://saegim/assets/app-1.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await js.text()).toBe('console.log(1)');
    const view = await appProtocolResponse(dir, 'app://saegim/search');
    expect(await view.text()).toContain('새김');
    for (const escape of ['app://saegim/%2e%2e/%2e%2e/etc/passwd', 'app://saegim/..%2f..%2fetc%2fpasswd', 'app://saegim/a/..%2f..%2f..%2fetc%2fpasswd']) {
      // Dot segments are resolved by URL parsing or refused by the lookup: either way nothing outside the folder.
      const res = await appProtocolResponse(dir, escape);
      expect(res.status === 404 || (await res.text()).includes('새김'), escape).toBe(true);
    }
    for (const missing of ['app://saegim/assets/missing.js', 'app://other/index.html']) expect((await appProtocolResponse(dir, missing)).status, missing).toBe(404);
    expect((await appProtocolResponse(dir, 'app://saegim/%E0%A4%A')).status).toBe(400);
  });
});
