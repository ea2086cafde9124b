import { describe, expect, it } from 'vitest';
import type { SaegimApi } from '../../main/contract/methods.js';
import { CallQueue } from '../../main/rpc/call-queue.js';
import type { FromEngine, ToEngine } from '../../main/rpc/engine-messages.js';
import { serveEngine, type EnginePort } from '../../main/rpc/engine-worker.js';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A port pair: what the engine sends is collected, `send` delivers a message to it. */
function fakePort() {
  const sent: FromEngine[] = [];
  let listener: ((event: { data: ToEngine }) => void) | null = null;
  const port: EnginePort = {
    postMessage: (m) => void sent.push(m),
    on: (_event, l) => (listener = l),
  };
  return { port, sent, send: (m: ToEngine) => listener!({ data: m }) };
}

const reply = (sent: FromEngine[], id: string) => sent.find((m) => m.type === 'reply' && m.id === id) as Extract<FromEngine, { type: 'reply' }> | undefined;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('CallQueue', () => {
  it('runs up to its concurrency, queues up to its bound and refuses past it', async () => {
    const queue = new CallQueue({ concurrency: 1, maxWaiting: 2 });
    const gate = deferred();
    const order: string[] = [];
    const task = (name: string) => async () => {
      order.push(name);
      await gate.promise;
      return name;
    };
    const a = queue.run('a', task('a'));
    const b = queue.run('b', task('b'));
    const c = queue.run('c', task('c'));
    expect(await queue.run('d', task('d'))).toEqual({ ran: false, why: 'full' });
    expect(queue.depth).toEqual({ running: 1, waiting: 2 });
    expect(queue.cancel('b')).toBe(true);
    expect(await b).toEqual({ ran: false, why: 'dropped' });
    gate.resolve();
    expect(await a).toEqual({ ran: true, value: 'a' });
    expect(await c).toEqual({ ran: true, value: 'c' });
    expect(order).toEqual(['a', 'c']);
  });
});

describe('serveEngine', () => {
  it('answers cheap calls while heavy ones wait, and refuses heavy calls past the bound with busy', async () => {
    const gate = deferred();
    let searches = 0;
    const api = {
      search: async () => {
        searches++;
        await gate.promise;
        return { collection: 'c', query: 'q', results: [] };
      },
      info: async () => ({ version: 'test' }),
    } as unknown as SaegimApi;
    const { port, sent, send } = fakePort();
    void serveEngine(port, api, async () => undefined, { queue: { concurrency: 1, maxWaiting: 3 } });
    for (let i = 0; i < 6; i++) send({ type: 'call', id: `s${i}`, method: 'search', args: [{ collection: 'c', query: 'q' }], progress: false });
    send({ type: 'call', id: 'cheap', method: 'info', args: [], progress: false });
    await tick();
    // One running, three waiting, two refused at once; the cheap call did not wait for any of them.
    expect(searches).toBe(1);
    expect(reply(sent, 'cheap')).toMatchObject({ ok: true, result: { version: 'test' } });
    for (const id of ['s4', 's5']) {
      const r = reply(sent, id);
      expect(r?.ok).toBe(false);
      expect(r && !r.ok && r.error.code).toBe('busy');
      expect(r && !r.ok && r.error.message).toMatch(/busy.*3 searches are already waiting/);
    }
    send({ type: 'cancel', id: 's2' });
    await tick();
    expect(reply(sent, 's2')).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    gate.resolve();
    await tick();
    for (const id of ['s0', 's1', 's3']) expect(reply(sent, id)?.ok).toBe(true);
    expect(searches).toBe(3);
  });
});
