import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';
import { readPassagesJsonl, readQueriesJsonl } from './jsonl.js';
import { numberedLines } from './lines.js';

/** BEIR writes `query-id corpus-id score`; older exports and TREC tools use other names for the same columns. */
const HEADER_FIRST_COLUMN = /^(query[-_ ]?id|qid|query)$/i;
/** Graded relevance is an integer in every BEIR set; decimals are accepted, `0x10` or `1e3` are not scores. */
const SCORE = /^[+-]?\d+(\.\d+)?$/;

/**
 * A BEIR/MTEB folder: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`. Every split present is
 * imported under its file stem; TREC-style four-column rows (`qid 0 docid rel`) are accepted too.
 */
export async function readBeir(dir: string, name: string, log: IssueLog): Promise<DatasetBuilder> {
  const builder = new DatasetBuilder('beir', name, dir, log);
  const corpus = join(dir, 'corpus.jsonl');
  if (!existsSync(corpus)) log.fatal({ file: corpus, line: 0, reason: 'a BEIR folder needs corpus.jsonl' });
  await readPassagesJsonl(corpus, builder, log);
  const queries = join(dir, 'queries.jsonl');
  if (existsSync(queries)) await readQueriesJsonl(queries, builder, log);
  const qrelsDir = join(dir, 'qrels');
  if (existsSync(qrelsDir) && statSync(qrelsDir).isDirectory()) {
    const files = readdirSync(qrelsDir).filter((f) => f.endsWith('.tsv') && !f.startsWith('.'));
    for (const file of files.sort()) await readQrels(join(qrelsDir, file), basename(file, '.tsv'), builder, log);
  }
  return builder;
}

async function readQrels(path: string, split: string, builder: DatasetBuilder, log: IssueLog): Promise<void> {
  for await (const entry of numberedLines(path)) {
    const { line } = entry;
    if (entry.invalid !== undefined) {
      log.report({ file: path, line, reason: entry.invalid });
      continue;
    }
    const row = entry.text.trim();
    if (row === '') continue;
    // Tab-separated per BEIR; whitespace only when a file has no tabs at all (hand-written TREC qrels).
    const cols = row.split(row.includes('\t') ? '\t' : /\s+/).map((c) => c.trim());
    if (line === 1 && HEADER_FIRST_COLUMN.test(cols[0]!)) continue;
    let queryId: string, docId: string, score: string;
    if (cols.length === 3) [queryId, docId, score] = cols as [string, string, string];
    else if (cols.length === 4) [queryId, , docId, score] = cols as [string, string, string, string];
    else {
      log.report({ file: path, line, reason: `expected 3 tab-separated columns (query-id, corpus-id, score), found ${cols.length}` });
      continue;
    }
    if (!queryId || !docId) {
      log.report({ file: path, line, field: !queryId ? 'query-id' : 'corpus-id', reason: 'empty id' });
      continue;
    }
    if (!SCORE.test(score)) {
      log.report({ file: path, line, field: 'score', reason: `score "${score}" is not a number` });
      continue;
    }
    builder.addQrel({ queryId, docId, relevance: Number(score), split });
  }
}
