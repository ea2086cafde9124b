import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../main/contract/wire.js';
import type { BridgeReply, SaegimBridge } from '../../main/contract/bridge.js';
import { bridgeTransport } from '../../renderer/src/api/bridge-transport.js';
import { ApiError, createClient } from '../../renderer/src/api/client.js';

/** A preload bridge stand-in: records what the client sends and lets the test play the main process. */
function fakeBridge(replies: Partial<Record<string, BridgeReply>> = {}) {
  const listeners = new Set<(jobId: string, e: JobEvent) => void>();
  const sent: Array<{ kind: string; jobId?: string; method?: string; args?: unknown[] }> = [];
  const bridge: SaegimBridge = {
    call: async (method, args) => {
      sent.push({ kind: 'call', method, args });
      return replies[method] ?? { ok: true, result: { method, args } };
    },
    startJob: async (jobId, method, args) => {
      sent.push({ kind: 'start', jobId, method, args });
      return replies[`job:${method}`] ?? { ok: true, result: null };
    },
    cancelJob: async (jobId) => {
      sent.push({ kind: 'cancel', jobId });
    },
    onJobEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    pickPath: async (kind) => `/home/user/${kind}`,
    pathForFile: () => '/home/user/dropped.json',
  };
  const emit = (jobId: string, e: JobEvent) => [...listeners].forEach((l) => l(jobId, e));
  return { bridge, sent, emit, listeners };
}

describe('the Electron bridge client', () => {
  it('passes calls through and unwraps results', async () => {
    const { bridge, sent } = fakeBridge();
    const client = createClient(bridgeTransport(bridge));
    expect(client.transport).toBe('electron');
    expect(await client.validateModel('/models/ko')).toEqual({ method: 'validateModel', args: ['/models/ko'] });
    expect(sent).toEqual([{ kind: 'call', method: 'validateModel', args: ['/models/ko'] }]);
    expect(await client.pickPath!('folder')).toBe('/home/user/folder');
  });

  it('turns error replies into ApiError with code and details', async () => {
    const issues = [{ file: 'corpus.jsonl', line: 3, reason: 'bad' }];
    const { bridge } = fakeBridge({ search: { ok: false, error: { code: 'import-failed', message: 'nope', details: issues } } });
    const err = await createClient(bridgeTransport(bridge))
      .search({ collection: 'c', query: 'q' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'import-failed', message: 'nope', details: issues });
  });

  it('runs a job: subscribes first, reports its own progress only, resolves with the result, unsubscribes', async () => {
    const { bridge, sent, emit, listeners } = fakeBridge();
    const seen: number[] = [];
    const job = createClient(bridgeTransport(bridge)).indexCollection({ collection: 'demo' }, (p) => seen.push(p.done));
    await Promise.resolve();
    const jobId = sent[0]!.jobId!;
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0]).toMatchObject({ kind: 'start', method: 'indexCollection', args: [{ collection: 'demo' }] });
    emit('some-other-job', { type: 'progress', progress: { phase: 'encoding', done: 99, total: 100 } });
    emit(jobId, { type: 'progress', progress: { phase: 'encoding', done: 5, total: 10 } });
    emit(jobId, { type: 'result', result: { encoded: 10 } });
    expect(await job.result).toEqual({ encoded: 10 });
    expect(seen).toEqual([5]);
    expect(listeners.size).toBe(0);
  });

  it('cancels by job id and rejects with the cancelled error the engine sends', async () => {
    const { bridge, sent, emit } = fakeBridge();
    const job = createClient(bridgeTransport(bridge)).evaluate({ collection: 'demo' });
    await Promise.resolve();
    const jobId = sent[0]!.jobId!;
    job.cancel();
    expect(sent[1]).toEqual({ kind: 'cancel', jobId });
    emit(jobId, { type: 'error', error: { code: 'cancelled', message: 'evaluation cancelled' } });
    await expect(job.result).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('rejects a job the main process refused to start', async () => {
    const { bridge, listeners } = fakeBridge({ 'job:importDataset': { ok: false, error: { code: 'bad-input', message: 'import: field "path" is required' } } });
    const job = createClient(bridgeTransport(bridge)).importDataset({ path: '' });
    await expect(job.result).rejects.toMatchObject({ code: 'bad-input' });
    expect(listeners.size).toBe(0);
  });
});
