import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../fixtures/tiny-model.js';

const CLI = fileURLToPath(new URL('../../bin/saegim', import.meta.url));
const PASSAGES = 4000;

let work: string;
let modelDir: string;
let db: string;

function saegim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--db', db], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function indexedCount(): number {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (conn.prepare('SELECT COUNT(*) AS n FROM doc_vectors').get() as { n: number }).n;
  } finally {
    conn.close();
  }
}

/** Deterministic Korean-looking passages of varied length. */
function syntheticCorpus(n: number): string {
  const words = ['서울', '부산', '역사', '과학', '기술', '문화', '경제', '생활', '한강', '산업', '연구', '발전', '사람', '도시', '음식', '전통'];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const length = 8 + Math.floor(next() * 30);
    const text = Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(' ') + '.';
    lines.push(JSON.stringify({ id: `doc-${i}`, text }));
  }
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-resume-'));
  modelDir = join(work, 'tiny');
  db = join(work, 'saegim.db');
  await writeTinyModel(modelDir, { hiddenSize: 32, seed: 5 });
  writeFileSync(join(work, 'big.jsonl'), syntheticCorpus(PASSAGES));
  const imported = saegim('import', join(work, 'big.jsonl'), '--name', 'big');
  expect(imported.stderr).not.toMatch(/error/i);
  expect(imported.status).toBe(0);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('indexing killed mid-run', () => {
  it('resumes with no passage lost or duplicated', async () => {
    const child = spawn(process.execPath, [CLI, 'index', 'big', '--model', modelDir, '--batch-size', '4', '--db', db], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      let n = 0;
      try {
        n = indexedCount();
      } catch {
        continue; // the database file or its tables may not exist yet
      }
      if (n >= 40) break;
    }
    child.kill('SIGKILL');
    await exited;

    const afterKill = indexedCount();
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(PASSAGES);
    const check = new Database(db, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();

    const resumed = saegim('index', 'big', '--model', modelDir, '--json');
    expect(resumed.status).toBe(0);
    const report = JSON.parse(resumed.stdout) as { encoded: number; alreadyIndexed: number; totalIndexed: number };
    expect(report.alreadyIndexed).toBe(afterKill);
    expect(report.encoded).toBe(PASSAGES - afterKill);
    expect(report.totalIndexed).toBe(PASSAGES);

    const conn = new Database(db, { readonly: true });
    const rows = conn.prepare('SELECT d.ord, COUNT(v.ord) AS n FROM documents d LEFT JOIN doc_vectors v ON v.collection_id = d.collection_id AND v.ord = d.ord GROUP BY d.ord').all() as Array<{ n: number }>;
    conn.close();
    expect(rows).toHaveLength(PASSAGES);
    expect(rows.every((r) => r.n === 1)).toBe(true);

    const again = saegim('index', 'big', '--model', modelDir, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ encoded: 0, alreadyIndexed: PASSAGES });

    const search = saegim('search', 'big', '서울 역사', '--method', 'mvr,bm25', '--json');
    expect(search.status).toBe(0);
    const results = JSON.parse(search.stdout).results as Array<{ hits: unknown[] }>;
    expect(results.every((r) => r.hits.length === 10)).toBe(true);
  });
});
