import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../electron/channels.js';
import { CALL_ARGUMENTS, JobIdSchema, parseCall } from '../../electron/ipc-schemas.js';
import { API_METHODS } from '../../main/contract/wire.js';
import { ROOT } from './harness.js';

describe('Electron IPC argument validation', () => {
  it('has a schema for every API method', () => {
    expect(Object.keys(CALL_ARGUMENTS).sort()).toEqual([...API_METHODS].sort());
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
