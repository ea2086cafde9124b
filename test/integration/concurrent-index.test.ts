import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../bin/saegim', import.meta.url));
const DEMO = fileURLToPath(new URL('../../assets/datasets/demo-ko', import.meta.url));

let work: string;
let db: string;

function saegim(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args, '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function count(sql: string): number {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (conn.prepare(sql).get() as { n: number }).n;
  } finally {
    conn.close();
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-concurrent-'));
  db = join(work, 'saegim.db');
  const imported = await saegim(['import', DEMO, '--name', 'demo']);
  expect(imported.code).toBe(0);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('two indexers on one collection at once', () => {
  it('both exit 0, the second says once that it waits, and every passage is indexed exactly once', async () => {
    // Small batches keep the two runs reading the same "next unindexed" passages again and again.
    const args = ['index', 'demo', '--batch-size', '8'];
    const [a, b] = await Promise.all([saegim(args), saegim(args)]);
    for (const run of [a, b]) {
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr).not.toMatch(/SqliteError|UNIQUE constraint/);
      expect(run.code, run.stderr).toBe(0);
    }
    const waited = [a, b].filter((r) => /is being indexed by another process \(pid \d+\); waiting…/.test(r.stderr));
    expect(waited.length).toBeLessThanOrEqual(1);
    for (const r of waited) expect(r.stderr.match(/waiting…/g)).toHaveLength(1);
    const passages = count('SELECT COUNT(*) AS n FROM documents');
    expect(passages).toBe(300);
    expect(count('SELECT COUNT(*) AS n FROM doc_vectors')).toBe(passages);
    expect(count('SELECT COUNT(*) AS n FROM index_locks')).toBe(0);
    const encoded = [a, b].map((r) => Number(/: (\d+) passages encoded/.exec(r.stdout)?.[1]));
    expect(encoded[0]! + encoded[1]!).toBe(passages);
  });

  it('a --rebuild beside a running indexer waits for it, then re-indexes everything once', async () => {
    const [a, b] = await Promise.all([saegim(['index', 'demo', '--rebuild', '--batch-size', '16']), saegim(['index', 'demo', '--rebuild', '--batch-size', '16'])]);
    for (const run of [a, b]) {
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.code, run.stderr).toBe(0);
    }
    expect(count('SELECT COUNT(*) AS n FROM doc_vectors')).toBe(300);
  });
});
