import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';
import { readPassagesJsonl } from './jsonl.js';
import { numberedLines } from './lines.js';
import { QueryRecordSchema, describeZodError } from './records.js';

/**
 * A BEIR/MTEB folder: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv` (header `query-id corpus-id
 * score`). Every split present is imported; TREC-style four-column qrels (`qid 0 docid rel`) are accepted too.
 */
export async function readBeir(dir: string, name: string, log: IssueLog): Promise<DatasetBuilder> {
  const builder = new DatasetBuilder('beir', name, dir, log);
  const corpus = join(dir, 'corpus.jsonl');
  if (!existsSync(corpus)) log.fatal({ file: corpus, line: 0, reason: 'a BEIR folder needs corpus.jsonl' });
  await readPassagesJsonl(corpus, builder, log);
  const queries = join(dir, 'queries.jsonl');
  if (existsSync(queries)) await readQueries(queries, builder, log);
  const qrelsDir = join(dir, 'qrels');
  if (existsSync(qrelsDir)) {
    for (const file of readdirSync(qrelsDir).filter((f) => f.endsWith('.tsv')).sort()) {
      await readQrels(join(qrelsDir, file), basename(file, '.tsv'), builder, log);
    }
  }
  return builder;
}

async function readQueries(path: string, builder: DatasetBuilder, log: IssueLog): Promise<void> {
  for await (const { line, text } of numberedLines(path)) {
    if (text.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      log.report({ file: path, line, reason: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    const parsed = QueryRecordSchema.safeParse(raw);
    if (!parsed.success) {
      log.report({ file: path, line, ...describeZodError(parsed.error) });
      continue;
    }
    builder.addQuery(parsed.data._id, parsed.data.text, { file: path, line });
  }
}

async function readQrels(path: string, split: string, builder: DatasetBuilder, log: IssueLog): Promise<void> {
  for await (const { line, text } of numberedLines(path)) {
    if (text.trim() === '') continue;
    const cols = text.split(text.includes('\t') ? '\t' : /\s+/).map((c) => c.trim());
    if (line === 1 && !Number.isFinite(Number(cols.at(-1)))) continue; // header row
    let queryId: string | undefined;
    let docId: string | undefined;
    let score: string | undefined;
    if (cols.length === 3) [queryId, docId, score] = cols;
    else if (cols.length === 4) [queryId, , docId, score] = cols;
    else {
      log.report({ file: path, line, reason: `expected 3 tab-separated columns (query-id, corpus-id, score), found ${cols.length}` });
      continue;
    }
    const relevance = Number(score);
    if (!queryId || !docId) {
      log.report({ file: path, line, field: !queryId ? 'query-id' : 'corpus-id', reason: 'empty id' });
      continue;
    }
    if (score === undefined || score === '' || !Number.isFinite(relevance)) {
      log.report({ file: path, line, field: 'score', reason: `score "${score ?? ''}" is not a number` });
      continue;
    }
    builder.addQrel({ queryId, docId, relevance, split });
  }
}
