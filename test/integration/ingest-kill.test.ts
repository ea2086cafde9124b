import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKoreanBeirCorpus } from '../../main/bench/korean-corpus.js';
import { halvesToFloats } from '../../main/store/half.js';
import { writeTinyModel } from '../fixtures/tiny-model.js';

// Drives the built CLI (npm test builds first), killing real processes with SIGKILL.
const CLI = fileURLToPath(new URL('../../bin/saegim', import.meta.url));
const PASSAGES = 2000;

let work: string;
let modelDir: string;
let corpusDir: string;

function saegim(db: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, '--db', db], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function query<T>(db: string, sql: string): T[] {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

/** Polls until `ready` holds (the database may not exist or be mid-write yet), up to a minute. */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if (ready()) return;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out waiting for the child process');
}

/** Everything an ingest produces, by collection name, without ids, times or generations. */
function contents(db: string) {
  const id = `(SELECT id FROM collections WHERE name = 'c')`;
  const vectors = query<{ ord: number; n_tokens: number; vectors: Buffer; offsets: Buffer; token_ids: Buffer; pooled: Buffer }>(
    db,
    `SELECT ord, n_tokens, vectors, offsets, token_ids, pooled FROM doc_vectors WHERE collection_id = ${id} ORDER BY ord`,
  );
  return {
    collections: query(db, `SELECT name, format, source FROM collections ORDER BY name`),
    staged: query(db, `SELECT * FROM collection_imports`),
    documents: query(db, `SELECT ord, doc_id, title, text FROM documents WHERE collection_id = ${id} ORDER BY ord`),
    queries: query(db, `SELECT ord, query_id, text FROM queries WHERE collection_id = ${id} ORDER BY ord`),
    qrels: query(db, `SELECT split, query_id, doc_id, relevance FROM qrels WHERE collection_id = ${id} ORDER BY split, query_id, doc_id`),
    bm25Stats: query(db, `SELECT analyzer, k1, b, docs, total_length, postings, bytes, next_segment FROM bm25_stats WHERE collection_id = ${id}`),
    bm25Terms: query<{ term: string; segment: number; df: number; postings: Buffer }>(
      db,
      `SELECT term, segment, df, hex(postings) AS postings FROM bm25_terms WHERE collection_id = ${id} ORDER BY term, segment`,
    ),
    bm25Lengths: query(db, `SELECT segment, hex(ords) AS ords, hex(lengths) AS lengths FROM bm25_lengths WHERE collection_id = ${id} ORDER BY segment`),
    vectors: vectors.map((v) => ({ ord: v.ord, nTokens: v.n_tokens, offsets: v.offsets.toString('hex'), tokenIds: v.token_ids.toString('hex') })),
    floats: vectors.map((v) => ({
      vectors: halvesToFloats(new Uint16Array(v.vectors.buffer.slice(v.vectors.byteOffset, v.vectors.byteOffset + v.vectors.byteLength))),
      pooled: new Float32Array(v.pooled.buffer.slice(v.pooled.byteOffset, v.pooled.byteOffset + v.pooled.byteLength)),
    })),
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'saegim-ingest-kill-'));
  modelDir = join(work, 'tiny');
  await writeTinyModel(modelDir, { hiddenSize: 32, seed: 9 });
  corpusDir = join(work, 'corpus');
  await writeKoreanBeirCorpus(corpusDir, PASSAGES, { seed: 3, queries: 40 });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('an ingest killed with SIGKILL', () => {
  it('mid-import and mid-index resumes to the database an uninterrupted run builds', async () => {
    const reference = join(work, 'reference.db');
    expect(saegim(reference, 'import', corpusDir, '--name', 'c').status).toBe(0);
    expect(saegim(reference, 'index', 'c', '--model', modelDir).status).toBe(0);

    // The killed import reads corpus.jsonl from a pipe, so it is killed at a known point: its first batch
    // of 1,000 passages committed to the staged collection, the rest not yet read.
    const killed = join(work, 'killed.db');
    const pipedDir = join(work, 'piped');
    mkdirSync(join(pipedDir, 'qrels'), { recursive: true });
    copyFileSync(join(corpusDir, 'queries.jsonl'), join(pipedDir, 'queries.jsonl'));
    copyFileSync(join(corpusDir, 'qrels', 'test.tsv'), join(pipedDir, 'qrels', 'test.tsv'));
    expect(spawnSync('mkfifo', [join(pipedDir, 'corpus.jsonl')]).status).toBe(0);
    const importer = spawn(process.execPath, [CLI, 'import', pipedDir, '--name', 'c', '--db', killed], { stdio: 'ignore' });
    const importerExited = new Promise<void>((resolve) => importer.on('exit', () => resolve()));
    const writer = createWriteStream(join(pipedDir, 'corpus.jsonl'));
    writer.on('error', () => {});
    const lines = readFileSync(join(corpusDir, 'corpus.jsonl'), 'utf8').split('\n');
    writer.write(`${lines.slice(0, 1500).join('\n')}\n`);
    await until(
      () =>
        query<{ n: number }>(killed, `SELECT COUNT(*) AS n FROM documents d JOIN collection_imports i ON i.collection_id = d.collection_id`)[0]!.n >= 1000,
    );
    importer.kill('SIGKILL');
    await importerExited;
    writer.destroy();
    const afterImportKill = contents(killed);
    expect(afterImportKill.staged).toHaveLength(1);
    expect(query(killed, `SELECT name FROM collections WHERE id NOT IN (SELECT collection_id FROM collection_imports)`)).toEqual([]);
    const list = saegim(killed, 'list', '--json');
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);

    // The same path, now a plain file: the next import removes what the killed one left and starts over.
    rmSync(join(pipedDir, 'corpus.jsonl'));
    copyFileSync(join(corpusDir, 'corpus.jsonl'), join(pipedDir, 'corpus.jsonl'));
    const reimport = saegim(killed, 'import', pipedDir, '--name', 'c');
    expect(reimport.stderr).not.toMatch(/error/i);
    expect(reimport.status).toBe(0);

    const indexer = spawn(process.execPath, [CLI, 'index', 'c', '--model', modelDir, '--batch-size', '8', '--db', killed], { stdio: 'ignore' });
    const indexerExited = new Promise<void>((resolve) => indexer.on('exit', () => resolve()));
    await until(() => query<{ n: number }>(killed, `SELECT COUNT(*) AS n FROM doc_vectors`)[0]!.n >= 40);
    indexer.kill('SIGKILL');
    await indexerExited;
    const partly = query<{ n: number }>(killed, `SELECT COUNT(*) AS n FROM doc_vectors`)[0]!.n;
    expect(partly).toBeGreaterThan(0);
    expect(partly).toBeLessThan(PASSAGES);
    const resumed = saegim(killed, 'index', 'c', '--model', modelDir, '--json');
    expect(resumed.status).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ alreadyIndexed: partly, encoded: PASSAGES - partly, totalIndexed: PASSAGES });

    const want = contents(reference);
    const got = contents(killed);
    const source = (rows: unknown[]) => (rows as Array<{ source: string }>).map((r) => ({ ...r, source: undefined }));
    expect(source(got.collections)).toEqual(source(want.collections));
    expect(got.staged).toEqual([]);
    for (const key of ['documents', 'queries', 'qrels', 'bm25Stats', 'bm25Terms', 'bm25Lengths', 'vectors'] as const) expect(got[key], key).toEqual(want[key]);
    expect(got.documents).toHaveLength(PASSAGES);
    // Vectors are computed again for the passages after the kill, in other batches (other padding): equal
    // to within fp16 rounding, not bit for bit.
    let worst = 0;
    got.floats.forEach((g, i) => {
      const w = want.floats[i]!;
      for (let j = 0; j < w.vectors.length; j++) worst = Math.max(worst, Math.abs(g.vectors[j]! - w.vectors[j]!));
      for (let j = 0; j < w.pooled.length; j++) worst = Math.max(worst, Math.abs(g.pooled[j]! - w.pooled[j]!));
    });
    expect(worst).toBeLessThan(2e-3);

    const search = (db: string) => JSON.parse(saegim(db, 'search', 'c', '영화 이야기', '--method', 'bm25,mvr', '--json').stdout) as { results: Array<{ hits: Array<{ docId: string; score: number }> }> };
    const [bm25Want, mvrWant] = search(reference).results;
    const [bm25Got, mvrGot] = search(killed).results;
    expect(bm25Got!.hits).toEqual(bm25Want!.hits);
    expect(mvrGot!.hits.map((h) => h.docId)).toEqual(mvrWant!.hits.map((h) => h.docId));
    mvrGot!.hits.forEach((h, i) => expect(Math.abs(h.score - mvrWant!.hits[i]!.score)).toBeLessThan(1e-2));
  });
});
