import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, readDataset } from '../../main/datasets/index.js';
import { ImportError, SaegimError } from '../../main/contract/errors.js';
import type { ImportIssue } from '../../main/contract/types.js';

const FIXTURES = resolve('test/fixtures/datasets');
const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

const scratch = mkdtempSync(join(tmpdir(), 'saegim-datasets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let scratchCount = 0;
/** Writes files (path → text or bytes) into a fresh folder and returns it. */
function scratchDir(files: Record<string, string | Uint8Array>): string {
  const dir = join(scratch, `case-${++scratchCount}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

async function importIssues(promise: Promise<unknown>): Promise<ImportIssue[]> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImportError);
  return (err as ImportError).issues;
}

async function saegimError(promise: Promise<unknown> | (() => unknown)): Promise<SaegimError> {
  let err: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SaegimError);
  return err as SaegimError;
}

const HANGUL_1443 = '한글은 1443년 세종이 창제한 문자로, 처음에는 훈민정음이라고 불렸다.';

describe('KorQuAD/SQuAD JSON', () => {
  it('turns paragraphs into passages with article titles, questions into queries, and each question’s paragraph into its qrel', async () => {
    const ds = await readDataset(fixture('squad', 'korquad-mini.json'));
    expect(ds.format).toBe('squad');
    expect(ds.name).toBe('korquad-mini');
    expect(ds.source).toBe(fixture('squad', 'korquad-mini.json'));
    expect(ds.passages).toEqual([
      { id: 'p0001', title: '한글', text: HANGUL_1443 },
      { id: 'p0002', title: '한글', text: '현대 한글 자모는 기본 자음 열네 자와 기본 모음 열 자로 이루어져 있다.' },
      { id: 'p0003', title: '훈민정음', text: '훈민정음 해례본은 1997년 유네스코 세계기록유산으로 등재되었다.' },
    ]);
    expect(ds.queries).toEqual([
      { id: 'q-hangul-1', text: '한글을 만든 임금은 누구인가?' },
      { id: 'q-hangul-2', text: '한글의 처음 이름은 무엇이었나?' },
      { id: 'q-jamo', text: '현대 한글의 기본 자음은 몇 자인가?' },
      { id: 'q-dup-context', text: '훈민정음은 언제 만들어졌나?' },
      { id: 'q-empty', text: '내용이 없는 문단에 달린 질문' },
      { id: '42', text: '해례본이 세계기록유산이 된 해는?' },
    ]);
    expect(ds.qrels).toEqual([
      { queryId: 'q-hangul-1', docId: 'p0001', relevance: 1, split: 'test' },
      { queryId: 'q-hangul-2', docId: 'p0001', relevance: 1, split: 'test' },
      { queryId: 'q-jamo', docId: 'p0002', relevance: 1, split: 'test' },
      // The second article repeats the first paragraph word for word: merged, so its question points at p0001.
      { queryId: 'q-dup-context', docId: 'p0001', relevance: 1, split: 'test' },
      { queryId: '42', docId: 'p0003', relevance: 1, split: 'test' },
    ]);
    expect(ds.stats).toEqual({ emptyPassages: 1, qrelsWithUnknownQuery: 0, qrelsWithUnknownPassage: 0, duplicatePassagesMerged: 1 });
    expect(ds.skipped).toEqual([]);
  });

  it('reports a paragraph without context and a question without id with line and field path, collecting both', async () => {
    const file = fixture('squad', 'missing-context.json');
    const issues = await importIssues(readDataset(file));
    expect(issues).toEqual([
      { file, line: 21, field: 'data[1].paragraphs[0].context', reason: 'missing "context"' },
      { file, line: 33, field: 'data[1].paragraphs[1].qas[0].id', reason: 'id is missing' },
    ]);
  });

  it('with skipBad imports the rest and lists the skipped records', async () => {
    const file = fixture('squad', 'missing-context.json');
    const ds = await readDataset(file, { skipBad: true });
    expect(ds.passages.map((p) => [p.id, p.title])).toEqual([
      ['p0001', '김치'],
      ['p0002', '된장'],
    ]);
    // d1 belonged to the paragraph without context and is left out with it.
    expect(ds.queries.map((q) => q.id)).toEqual(['k1', 'd3']);
    expect(ds.qrels.map((q) => [q.queryId, q.docId])).toEqual([
      ['k1', 'p0001'],
      ['d3', 'p0002'],
    ]);
    expect(ds.skipped.map((s) => [s.line, s.field])).toEqual([
      [21, 'data[1].paragraphs[0].context'],
      [33, 'data[1].paragraphs[1].qas[0].id'],
    ]);
  });

  it('reports a JSON syntax error with its line and the field it interrupts', async () => {
    const file = fixture('squad', 'syntax-error.json');
    const issues = await importIssues(readDataset(file));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file, line: 11, field: 'data[0].paragraphs[0].qas[0].question' });
    expect(issues[0]!.reason).toMatch(/not valid JSON.*","/);
  });

  it('reports a duplicate question id at the repeat, keeping the first under skipBad', async () => {
    const doc = {
      data: [
        { title: '가', paragraphs: [{ context: '첫 문단', qas: [{ id: 'same', question: '첫 질문' }] }] },
        { title: '나', paragraphs: [{ context: '둘째 문단', qas: [{ id: 'same', question: '둘째 질문' }] }] },
      ],
    };
    const file = join(scratchDir({ 'dup.json': JSON.stringify(doc, null, 2) }), 'dup.json');
    const issues = await importIssues(readDataset(file));
    expect(issues).toEqual([{ file, line: 24, field: 'data[1].paragraphs[0].qas[0].id', reason: 'duplicate query id "same"' }]);
    const ds = await readDataset(file, { skipBad: true });
    expect(ds.queries).toEqual([{ id: 'same', text: '첫 질문' }]);
    expect(ds.qrels).toEqual([{ queryId: 'same', docId: 'p0001', relevance: 1, split: 'test' }]);
    expect(ds.skipped).toHaveLength(1);
  });

  it('fails when "data" is missing', async () => {
    const file = join(scratchDir({ 'x.json': '{"version": 1,\n "articles": []}' }), 'x.json');
    const issues = await importIssues(readDataset(file, { format: 'squad' }));
    expect(issues[0]!.reason).toMatch(/top-level "data" array/);
  });
});

describe('BEIR/MTEB folder', () => {
  it('reads corpus, queries and every qrels split, with numeric ids as strings and extra fields ignored', async () => {
    const ds = await readDataset(fixture('beir', 'good'));
    expect(ds.format).toBe('beir');
    expect(ds.name).toBe('good');
    expect(ds.passages).toEqual([
      { id: 'doc-seoul', title: '서울', text: '서울은 대한민국의 수도이며 한강이 도시를 가로질러 흐른다.' },
      { id: '2', title: '제주', text: '제주도는 한반도 남쪽의 화산섬으로 한라산이 섬 한가운데에 솟아 있다.' },
      { id: 'doc-kimchi', text: '김장은 겨울을 나기 위해 한꺼번에 많은 김치를 담그는 풍습이다.' },
    ]);
    expect(ds.queries).toEqual([
      { id: 'q1', text: '대한민국의 수도는 어디인가?' },
      { id: '7', text: '한라산이 있는 섬은?' },
      { id: 'q3', text: '김장은 언제 하는가?' },
    ]);
    expect(ds.qrels).toEqual([
      { queryId: 'q3', docId: 'doc-kimchi', relevance: 1, split: 'dev' },
      { queryId: 'q1', docId: 'doc-seoul', relevance: 1, split: 'test' },
      { queryId: '7', docId: '2', relevance: 2, split: 'test' },
      { queryId: 'q3', docId: 'doc-kimchi', relevance: 1, split: 'test' },
      { queryId: 'q3', docId: 'doc-seoul', relevance: 0, split: 'test' },
    ]);
    // doc-empty is whitespace; the qrel pointing at it is dropped along with the one naming doc-unknown.
    expect(ds.stats).toEqual({ emptyPassages: 1, qrelsWithUnknownQuery: 1, qrelsWithUnknownPassage: 2, duplicatePassagesMerged: 0 });
  });

  it('reports a non-numeric score and a short qrels row with file, line and field', async () => {
    const file = fixture('beir', 'bad-qrels', 'qrels', 'test.tsv');
    const issues = await importIssues(readDataset(fixture('beir', 'bad-qrels')));
    expect(issues).toEqual([
      { file, line: 3, field: 'score', reason: 'score "높음" is not a number' },
      { file, line: 4, reason: 'expected 3 tab-separated columns (query-id, corpus-id, score), found 2' },
    ]);
    const ds = await readDataset(fixture('beir', 'bad-qrels'), { skipBad: true });
    expect(ds.qrels.map((q) => `${q.queryId}→${q.docId}`)).toEqual(['q1→doc-seoul', 'q3→doc-kimchi']);
    expect(ds.skipped.map((s) => s.line)).toEqual([3, 4]);
  });

  it('reports duplicate query ids and a query without id', async () => {
    const dir = scratchDir({
      'corpus.jsonl': '{"_id": "d1", "text": "한강은 서울을 지난다."}\n',
      'queries.jsonl': '{"_id": "q1", "text": "한강은 어디를 지나나?"}\n{"text": "아이디 없는 질문"}\n{"_id": "q1", "text": "다시 쓴 아이디"}\n',
    });
    const file = join(dir, 'queries.jsonl');
    expect(await importIssues(readDataset(dir))).toEqual([
      { file, line: 2, field: '_id', reason: 'missing "_id"' },
      { file, line: 3, reason: 'duplicate query id "q1" (first on line 1)' },
    ]);
  });

  it('accepts whitespace-separated TREC qrels (qid 0 docid rel) and a header-less file', async () => {
    const dir = scratchDir({
      'corpus.jsonl': '{"_id": "d1", "text": "가야금은 열두 줄 현악기이다."}\n',
      'queries.jsonl': '{"_id": "q1", "text": "가야금의 줄 수는?"}\n',
      'qrels/train.tsv': 'q1 0 d1 3\n',
    });
    const ds = await readDataset(dir);
    expect(ds.qrels).toEqual([{ queryId: 'q1', docId: 'd1', relevance: 3, split: 'train' }]);
  });
});

describe('plain JSONL', () => {
  it('reads id or _id, text and an optional title', async () => {
    const ds = await readDataset(fixture('jsonl', 'passages.jsonl'));
    expect(ds.format).toBe('jsonl');
    expect(ds.name).toBe('passages');
    expect(ds.passages).toEqual([
      { id: 'hanok-1', title: '한옥', text: '한옥은 온돌과 마루를 함께 갖춘 한국의 전통 가옥이다.' },
      { id: 'hanok-2', text: '처마는 여름 햇빛을 가리고 겨울 햇빛은 방 안까지 들인다.' },
      { id: '3', text: '기와지붕은 곡선이 부드러워 멀리서도 눈에 띈다.' },
    ]);
    expect(ds.queries).toEqual([]);
    expect(ds.qrels).toEqual([]);
  });

  it('collects every bad line (bad JSON, missing id, non-string text, duplicate id, empty id) with its line', async () => {
    const file = fixture('jsonl', 'bad-lines.jsonl');
    const issues = await importIssues(readDataset(file));
    expect(issues.map(({ line, field }) => ({ line, field }))).toEqual([
      { line: 3, field: undefined },
      { line: 5, field: 'id' },
      { line: 6, field: 'text' },
      { line: 7, field: undefined },
      { line: 8, field: 'id' },
    ]);
    expect(issues.every((i) => i.file === file)).toBe(true);
    expect(issues[0]!.reason).toMatch(/^not valid JSON/);
    expect(issues[1]!.reason).toBe('missing "id" (or "_id")');
    expect(issues[2]!.reason).toBe('text must be a string');
    expect(issues[3]!.reason).toBe('duplicate passage id "a2" (first on line 2)');
    expect(issues[4]!.reason).toBe('id is empty');
    expect((await saegimError(readDataset(file))).message).toContain(`${file}:3: not valid JSON`);
  });

  it('refuses a numeric id too large for JSON numbers to keep exactly', async () => {
    const dir = scratchDir({ 'big-id.jsonl': '{"id": 12345678901234567890, "text": "큰 숫자 아이디"}\n' });
    const issues = await importIssues(readDataset(join(dir, 'big-id.jsonl')));
    expect(issues[0]).toMatchObject({ line: 1, field: 'id', reason: expect.stringMatching(/too large/) });
  });

  it('with skipBad keeps the good lines and the first of a duplicate id', async () => {
    const ds = await readDataset(fixture('jsonl', 'bad-lines.jsonl'), { skipBad: true });
    expect(ds.passages.map((p) => p.id)).toEqual(['a1', 'a2', 'a4']);
    expect(ds.passages[1]!.text).toBe('정선아리랑은 강원도 정선 지방에서 불린다.');
    expect(ds.skipped.map((s) => s.line)).toEqual([3, 5, 6, 7, 8]);
  });

  it('with skipBad still fails when nothing is left, giving the skipped records as the reason', async () => {
    const dir = scratchDir({ 'pairs.jsonl': '{"query": "질문", "positive": "답"}\n{"query": "또 질문", "positive": "또 답"}\n' });
    const file = join(dir, 'pairs.jsonl');
    const issues = await importIssues(readDataset(file, { skipBad: true }));
    expect(issues).toEqual([
      { file, line: 0, reason: 'no passages left after skipping 2 bad records' },
      { file, line: 1, field: 'text', reason: 'missing "text"' },
      { file, line: 2, field: 'text', reason: 'missing "text"' },
    ]);
  });

  it('stops collecting at 50 issues', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => `{"id": "x${i}", "text": ${i}}`);
    const dir = scratchDir({ 'many.jsonl': lines.join('\n') });
    const issues = await importIssues(readDataset(join(dir, 'many.jsonl')));
    expect(issues).toHaveLength(50);
    expect(issues.at(-1)!.line).toBe(50);
  });

  it('fails on a dataset with no passages and counts empty ones', async () => {
    const dir = scratchDir({ 'blank.jsonl': '{"id": "a", "text": ""}\n{"id": "b", "text": " \\n "}\n' });
    const issues = await importIssues(readDataset(join(dir, 'blank.jsonl')));
    expect(issues).toEqual([{ file: join(dir, 'blank.jsonl'), line: 0, reason: 'no passages: all 2 are empty' }]);
  });
});

describe('folder of .txt files', () => {
  it('reads visible .txt files recursively in sorted order, id = relative path, title = stem', async () => {
    const ds = await readDataset(fixture('txt', 'good'));
    expect(ds.format).toBe('txt');
    expect(ds.name).toBe('good');
    expect(ds.passages).toEqual([
      { id: '서울', title: '서울', text: '서울은 조선 시대에는 한양이라고 불렸다.' },
      { id: '역사/조선', title: '조선', text: '조선은 1392년에 세워져 500년 넘게 이어졌다.\n\n태조 이성계가 나라를 열었다.' },
    ]);
    // 빈파일.txt holds only whitespace; .숨김.txt is hidden; 메모.md is not .txt.
    expect(ds.stats.emptyPassages).toBe(1);
  });

  it('names a file that is not valid UTF-8, with the line of the bad byte', async () => {
    const euckr = new Uint8Array([0xc7, 0xd1, 0xb1, 0xdb]); // "한글" in EUC-KR
    const dir = scratchDir({
      'a.txt': '첫 파일은 멀쩡하다.',
      'b.txt': new Uint8Array([...Buffer.from('둘째 줄까지는\n괜찮다: '), ...euckr]),
    });
    const issues = await importIssues(readDataset(dir));
    expect(issues).toEqual([{ file: join(dir, 'b.txt'), line: 2, reason: expect.stringMatching(/not valid UTF-8/) }]);
    const ds = await readDataset(dir, { skipBad: true });
    expect(ds.passages.map((p) => p.id)).toEqual(['a']);
    expect(ds.skipped[0]!.file).toBe(join(dir, 'b.txt'));
  });
});

describe('text normalisation', () => {
  it('normalises NFD Korean (decomposed jamo) to NFC in text, titles and ids, so qrels still match', async () => {
    const nfd = (s: string) => s.normalize('NFD');
    expect(nfd('한국어')).not.toBe('한국어');
    const dir = scratchDir({
      'corpus.jsonl': JSON.stringify({ _id: nfd('문서-가'), title: nfd('한국어'), text: nfd('한국어는 교착어이다.') }) + '\n',
      'queries.jsonl': JSON.stringify({ _id: 'q', text: nfd('한국어는 어떤 언어인가?') }) + '\n',
      'qrels/test.tsv': `query-id\tcorpus-id\tscore\nq\t문서-가\t1\n`,
    });
    const ds = await readDataset(dir);
    expect(ds.passages).toEqual([{ id: '문서-가', title: '한국어', text: '한국어는 교착어이다.' }]);
    expect(ds.queries).toEqual([{ id: 'q', text: '한국어는 어떤 언어인가?' }]);
    expect(ds.qrels).toHaveLength(1);

    const txt = scratchDir({ [`${nfd('수필')}.txt`]: nfd('가을 하늘') });
    expect((await readDataset(txt)).passages).toEqual([{ id: '수필', title: '수필', text: '가을 하늘' }]);
  });

  it('strips a UTF-8 BOM from JSONL, SQuAD JSON, qrels TSV and .txt files', async () => {
    const bom = '\uFEFF';
    const dir = scratchDir({
      'beir/corpus.jsonl': `${bom}{"_id": "d1", "text": "백두산은 한반도에서 가장 높은 산이다."}\n`,
      'beir/queries.jsonl': `${bom}{"_id": "q1", "text": "가장 높은 산은?"}\n`,
      'beir/qrels/test.tsv': `${bom}query-id\tcorpus-id\tscore\nq1\td1\t1\n`,
      'squad.json': `${bom}{"data": [{"title": "산", "paragraphs": [{"context": "지리산은 세 도에 걸쳐 있다.", "qas": []}]}]}`,
      'notes/a.txt': `${bom}한라산은 제주도에 있다.`,
    });
    const beir = await readDataset(join(dir, 'beir'));
    expect(beir.passages[0]!.id).toBe('d1');
    expect(beir.qrels).toEqual([{ queryId: 'q1', docId: 'd1', relevance: 1, split: 'test' }]);
    expect(detectFormat(join(dir, 'squad.json'))).toBe('squad');
    expect((await readDataset(join(dir, 'squad.json'))).passages[0]!.text).toBe('지리산은 세 도에 걸쳐 있다.');
    expect((await readDataset(join(dir, 'notes'))).passages[0]!.text).toBe('한라산은 제주도에 있다.');
  });
});

describe('format detection', () => {
  it('recognises each format by its shape', () => {
    expect(detectFormat(fixture('squad', 'korquad-mini.json'))).toBe('squad');
    expect(detectFormat(fixture('squad', 'missing-context.json'))).toBe('squad');
    expect(detectFormat(fixture('beir', 'good'))).toBe('beir');
    expect(detectFormat(fixture('jsonl', 'passages.jsonl'))).toBe('jsonl');
    expect(detectFormat(fixture('txt', 'good'))).toBe('txt');
    expect(detectFormat(fixture('txt'))).toBe('txt'); // .txt files one folder down still count
  });

  it('refuses what it cannot recognise, naming the path and what it expected', async () => {
    const dir = scratchDir({
      'other.json': '{"data": [{"title": "제목만 있다"}]}',
      'table.csv': 'id,text\n1,가\n',
      'empty/.keep': '',
    });
    for (const path of [join(dir, 'other.json'), join(dir, 'table.csv'), join(dir, 'empty')]) {
      const err = await saegimError(() => detectFormat(path));
      expect(err.code).toBe('bad-input');
      expect(err.message).toContain(path);
      expect(err.message).toMatch(/expected .*KorQuAD\/SQuAD .*BEIR.*\.txt/);
    }
  });

  it('says not-found for a missing path', async () => {
    const missing = join(scratch, 'no-such-dataset');
    expect((await saegimError(() => detectFormat(missing))).code).toBe('not-found');
    expect((await saegimError(readDataset(missing))).code).toBe('not-found');
    expect((await saegimError(readDataset(missing, { format: 'jsonl' }))).code).toBe('not-found');
  });

  it('refuses a forced format that does not fit the path', async () => {
    const err = await saegimError(readDataset(fixture('jsonl', 'passages.jsonl'), { format: 'beir' }));
    expect(err.code).toBe('bad-input');
    expect(err.message).toMatch(/expects a folder/);
  });

  it('uses the given name instead of the path’s', async () => {
    expect((await readDataset(fixture('jsonl', 'passages.jsonl'), { name: '한옥 모음' })).name).toBe('한옥 모음');
  });
});
