import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from '../../main/contract/errors.js';
import type { ImportIssue } from '../../main/contract/types.js';
import { MAX_PASSAGE_CHARS } from '../../main/datasets/builder.js';
import { readDataset } from '../../main/datasets/index.js';
import { snippet } from '../../main/search/passage-text.js';
import { SaegimService } from '../../main/service.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'saegim-limits-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(work, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function issuesOf(path: string, opts: Parameters<typeof readDataset>[1] = {}): Promise<ImportIssue[]> {
  try {
    await readDataset(path, opts);
  } catch (err) {
    if (err instanceof ImportError) return err.issues;
    throw err;
  }
  throw new Error('the import was expected to fail');
}

const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: 0xE9 alone is not UTF-8

describe('invalid UTF-8', () => {
  it('fails a JSONL import at the line that holds it, instead of importing U+FFFD', async () => {
    const path = file('bad-utf8.jsonl', Buffer.concat([Buffer.from(line({ id: 'a', text: '첫 줄' })), Buffer.from('{"id": "b", "text": "'), LATIN1, Buffer.from('"}\n'), Buffer.from(line({ id: 'c', text: '셋째 줄' }))]));
    const issues = await issuesOf(path);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: path, line: 2 });
    expect(issues[0]!.reason).toMatch(/not valid UTF-8 text \(byte 25 of the line\)/);
    const skipped = await readDataset(path, { skipBad: true });
    expect(skipped.passages.map((p) => p.id)).toEqual(['a', 'c']);
    expect(skipped.passages.some((p) => p.text.includes('\uFFFD'))).toBe(false);
  });

  it('names the line in BEIR corpus, queries and qrels files, and in a SQuAD file', async () => {
    const beir = join(work, 'beir');
    file('beir/corpus.jsonl', line({ _id: 'd1', text: '문서' }));
    file('beir/queries.jsonl', Buffer.concat([Buffer.from(line({ _id: 'q1', text: '질문' })), Buffer.from('{"_id": "q2", "text": "'), LATIN1, Buffer.from('"}\n')]));
    file('beir/qrels/test.tsv', Buffer.concat([Buffer.from('query-id\tcorpus-id\tscore\nq1\td1\t1\n'), Buffer.from('q1\t'), LATIN1, Buffer.from('\t1\n')]));
    const issues = await issuesOf(beir);
    expect(issues.map((i) => [i.file.slice(beir.length + 1), i.line])).toEqual([
      ['queries.jsonl', 2],
      ['qrels/test.tsv', 3],
    ]);
    const squad = file('bad.json', Buffer.concat([Buffer.from('{"data": [{"title": "t",\n "paragraphs": [{"context": "'), LATIN1, Buffer.from('", "qas": []}]}]}\n')]));
    const [issue] = await issuesOf(squad, { format: 'squad' });
    expect(issue).toMatchObject({ file: squad, line: 2 });
    expect(issue!.reason).toMatch(/not valid UTF-8/);
  });

  it('still reads a UTF-8 BOM and CRLF line endings', async () => {
    const path = file('bom.jsonl', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${JSON.stringify({ id: 'a', text: '가' })}\r\n${JSON.stringify({ id: 'b', text: '나' })}`)]));
    const dataset = await readDataset(path);
    expect(dataset.passages).toEqual([
      { id: 'a', text: '가' },
      { id: 'b', text: '나' },
    ]);
  });
});

describe('JSON syntax errors', () => {
  const secret = 'root:$y$j9T$Qx8hunter2hash$abcdef:19700:0:99999:7:::';

  it('say line, column and what was expected, never the text of the line (a password file imported as JSONL)', async () => {
    const path = file('shadow.jsonl', `${secret}\ndaemon:*:19700:0:99999:7:::\n{"id": "x", "text": "ok"}\n{"id": "y" "text": "no comma"}\n`);
    const issues = await issuesOf(path);
    expect(issues.map((i) => i.line)).toEqual([1, 2, 4]);
    expect(issues[0]!.reason).toBe('not valid JSON at column 1: unexpected character');
    expect(issues[2]!.reason).toBe('not valid JSON at column 12: expected "," between items');
    const everything = JSON.stringify(issues) + (await readDataset(path).catch((e: Error) => e.message));
    for (const fragment of ['root', 'hunter2', '$y$', 'daemon', 'no comma']) expect(everything).not.toContain(fragment);
  });

  it('do not echo a SQuAD file either', async () => {
    const path = file('secret.json', `{"data": [\n  {"title": "x", "paragraphs": [ ${secret} ]}\n]}\n`);
    const [issue] = await issuesOf(path, { format: 'squad' });
    expect(issue).toMatchObject({ file: path, line: 2 });
    expect(issue!.reason).toMatch(/^not valid JSON at column \d+: /);
    expect(JSON.stringify(issue)).not.toMatch(/root|hunter2|\$y\$/);
  });
});

describe('the passage length limit', () => {
  it('refuses a passage over the limit with file:line and the limit, or skips it under --skip-bad', async () => {
    expect(MAX_PASSAGE_CHARS).toBe(100_000);
    const path = file('long.jsonl', line({ id: 'short', text: '짧은 글' }) + line({ id: 'huge', text: '가'.repeat(MAX_PASSAGE_CHARS + 1) }) + line({ id: 'edge', text: '나'.repeat(MAX_PASSAGE_CHARS) }));
    const issues = await issuesOf(path);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: path, line: 2, field: 'text' });
    expect(issues[0]!.reason).toBe('passage "huge" is 100,001 characters long; the limit is 100,000 (split it into smaller passages)');
    const dataset = await readDataset(path, { skipBad: true });
    expect(dataset.passages.map((p) => p.id)).toEqual(['short', 'edge']);
    expect(dataset.skipped).toHaveLength(1);
  });
});

describe('search hit texts', () => {
  it('are cut to 1,000 characters by default, whole on request', async () => {
    const long = `${'한국어 검색 '.repeat(400)}끝`;
    const path = file('hits.jsonl', line({ id: 'long', text: long }) + line({ id: 'short', text: '한국어 검색 짧은 글' }));
    const service = SaegimService.open({ dbPath: join(work, 'hits.db'), bundledDataDir: null });
    try {
      await service.importDataset({ path, name: 'hits' });
      const hits = (await service.search({ collection: 'hits', query: '한국어 검색', methods: ['bm25'] })).results[0]!.hits;
      const cut = hits.find((h) => h.docId === 'long')!;
      expect(cut.text.length).toBeLessThanOrEqual(1000);
      expect(cut.text.endsWith('…')).toBe(true);
      expect(cut.truncated).toBe(true);
      expect(cut.textLength).toBe(long.length);
      const whole = hits.find((h) => h.docId === 'short')!;
      expect(whole.truncated).toBeUndefined();
      const full = (await service.search({ collection: 'hits', query: '한국어 검색', methods: ['bm25'], snippetChars: 100_000 })).results[0]!.hits;
      expect(full.find((h) => h.docId === 'long')!.text).toBe(long);
    } finally {
      await service.close();
    }
  });

  it('never split a surrogate pair', () => {
    expect(snippet('ab😀cd', 4)).toEqual({ text: 'ab…', truncated: true });
    expect(snippet('abc', 3)).toEqual({ text: 'abc', truncated: false });
    expect(snippet('abcd', 0)).toEqual({ text: '', truncated: true });
  });
});
