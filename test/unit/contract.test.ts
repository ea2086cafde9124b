import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arity, isLongMethod, METHOD_NAMES, METHODS } from '../../main/contract/methods.js';
import { callPath, jobPath } from '../../main/contract/wire.js';
import { createClient, type Transport } from '../../renderer/src/api/client.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('the method table is the API', () => {
  it('gives the renderer a client method for every row, long operations as jobs, with the table\'s arity', () => {
    const calls: Array<{ kind: string; method: string; args: unknown[]; progress?: unknown }> = [];
    const transport: Transport = {
      kind: 'http',
      call: async (method, args) => void calls.push({ kind: 'call', method, args }),
      job: (method, args, onProgress) => {
        calls.push({ kind: 'job', method, args, progress: onProgress });
        return { result: Promise.resolve(null), cancel: () => undefined };
      },
    };
    const client = createClient(transport) as unknown as Record<string, (...a: unknown[]) => unknown>;
    const listener = () => undefined;
    for (const method of METHOD_NAMES) {
      expect(typeof client[method], method).toBe('function');
      const args = Array.from({ length: arity(method) }, (_, i) => ({ arg: i }));
      client[method]!(...args, listener, 'one too many');
      const made = calls.at(-1)!;
      expect(made.method).toBe(method);
      expect(made.kind).toBe(isLongMethod(method) ? 'job' : 'call');
      expect(made.args).toEqual(args);
      if (isLongMethod(method)) expect(made.progress).toBe(listener);
    }
    expect(calls).toHaveLength(METHOD_NAMES.length);
  });

  it('derives the HTTP routes from the table', () => {
    for (const method of METHOD_NAMES) {
      expect(callPath(method)).toBe(`/api/call/${method}`);
      if (METHODS[method].long) expect(jobPath(method)).toBe(`/api/jobs/${method}`);
    }
    expect(METHOD_NAMES.filter((m) => METHODS[m].long).sort()).toEqual(['evaluate', 'importDataset', 'indexCollection']);
  });

  it('keeps the contract browser-safe: it imports nothing but itself and zod', () => {
    const dir = join(ROOT, 'main', 'contract');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const specifiers = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
      for (const s of specifiers) expect(s === 'zod' || /^\.\/[\w-]+\.js$/.test(s), `${file} imports ${s}`).toBe(true);
    }
  });
});
