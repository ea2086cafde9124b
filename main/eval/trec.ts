import { SaegimError } from '../contract/errors.js';
import type { QrelMap, Run, ScoredPassage } from '../contract/types.js';

/**
 * TREC run and qrels files, the formats trec_eval, pytrec_eval and ranx read:
 *   run    `qid Q0 docid rank score tag`
 *   qrels  `qid 0 docid relevance`
 * Columns are whitespace-separated, so an id holding whitespace (a .txt passage at `notes/my file`) would
 * split into extra columns. Such ids are written with that whitespace and `%` percent-encoded
 * (`notes/my%20file`) and decoded on reading; every other id is written as it is. Runs and qrels written
 * here encode alike, so trec_eval matches them without knowing about it.
 */

const NEEDS_ESCAPE = /[%\s]/u;

function encodeId(id: string, what: string): string {
  if (id.length === 0) throw new SaegimError('bad-input', `cannot write an empty ${what} to a TREC file`);
  return NEEDS_ESCAPE.test(id) ? id.replace(/[%\s]/gu, (ch) => encodeURIComponent(ch)) : id;
}

function decodeId(field: string): string {
  if (!field.includes('%')) return field;
  return field.replace(/(?:%[0-9a-fA-F]{2})+/g, (escaped) => {
    try {
      return decodeURIComponent(escaped);
    } catch {
      return escaped;
    }
  });
}

/**
 * Shortest text that reads back as the same double, so ties and near-ties survive a round trip (fixed
 * six decimals would merge RRF scores that differ in the seventh).
 */
function formatScore(score: number, queryId: string, docId: string): string {
  if (!Number.isFinite(score)) throw new SaegimError('bad-input', `score of ${docId} for query ${queryId} is ${score}, not a finite number`);
  return String(score);
}

export function formatTrecRun(run: Run, tag: string): string {
  const safeTag = encodeId(tag, 'run tag');
  const lines: string[] = [];
  for (const [queryId, hits] of Object.entries(run)) {
    const qid = encodeId(queryId, 'query id');
    for (const h of hits) lines.push(`${qid} Q0 ${encodeId(h.docId, 'document id')} ${h.rank} ${formatScore(h.score, queryId, h.docId)} ${safeTag}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function fields(text: string): Array<{ line: number; parts: string[]; raw: string }> {
  const rows: Array<{ line: number; parts: string[]; raw: string }> = [];
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed) rows.push({ line: i + 1, parts: trimmed.split(/\s+/), raw: trimmed });
  });
  return rows;
}

function lineError(file: string, line: number, reason: string): SaegimError {
  return new SaegimError('bad-input', `${file}:${line}: ${reason}`, { file, line });
}

/**
 * Reads a run. Each query's hits are ordered as trec_eval orders them, by score, highest first (trec_eval
 * ignores the rank column); equal scores keep the file's rank order, then line order. Ranks are renumbered
 * 1, 2, … in that order, so 0-based runs from other tools read the same as 1-based ones.
 */
export function parseTrecRun(text: string, file = 'run'): Run {
  const byQuery = new Map<string, Array<ScoredPassage & { fileRank: number; line: number }>>();
  const seen = new Map<string, number>();
  for (const { line, parts, raw } of fields(text)) {
    if (parts.length !== 6) throw lineError(file, line, `expected 6 columns "qid Q0 docid rank score tag", got ${parts.length}: "${raw}"`);
    const [qid, , docField, rankField, scoreField] = parts as [string, string, string, string, string, string];
    const fileRank = Number(rankField);
    const score = Number(scoreField);
    if (!Number.isInteger(fileRank)) throw lineError(file, line, `rank "${rankField}" is not an integer`);
    if (!Number.isFinite(score)) throw lineError(file, line, `score "${scoreField}" is not a number`);
    const queryId = decodeId(qid);
    const docId = decodeId(docField);
    const key = `${queryId}\u0000${docId}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw lineError(file, line, `document ${docId} is listed for query ${queryId} already on line ${earlier}`);
    seen.set(key, line);
    let hits = byQuery.get(queryId);
    if (!hits) byQuery.set(queryId, (hits = []));
    hits.push({ docId, score, rank: 0, fileRank, line });
  }
  // Object.fromEntries defines keys, so even a query id like `__proto__` stays an ordinary entry.
  return Object.fromEntries(
    [...byQuery].map(([queryId, hits]) => {
      hits.sort((x, y) => y.score - x.score || x.fileRank - y.fileRank || x.line - y.line);
      return [queryId, hits.map((h, i) => ({ docId: h.docId, score: h.score, rank: i + 1 }))];
    }),
  );
}

/** Qrels in TREC form; the iteration column is always 0, as BEIR's converters write it. */
export function formatTrecQrels(qrels: QrelMap): string {
  const lines: string[] = [];
  for (const [queryId, judged] of Object.entries(qrels)) {
    const qid = encodeId(queryId, 'query id');
    for (const [docId, relevance] of Object.entries(judged)) {
      if (!Number.isFinite(relevance)) throw new SaegimError('bad-input', `relevance of ${docId} for query ${queryId} is ${relevance}, not a finite number`);
      lines.push(`${qid} 0 ${encodeId(docId, 'document id')} ${relevance}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** Reads `qid iter docid relevance` lines; a document judged twice for one query is an error, not a silent override. */
export function parseTrecQrels(text: string, file = 'qrels'): QrelMap {
  const qrels = new Map<string, Map<string, number>>();
  const seen = new Map<string, number>();
  for (const { line, parts, raw } of fields(text)) {
    if (parts.length !== 4) throw lineError(file, line, `expected 4 columns "qid iter docid relevance", got ${parts.length}: "${raw}"`);
    const [qid, , docField, relField] = parts as [string, string, string, string];
    const relevance = Number(relField);
    if (!Number.isFinite(relevance)) throw lineError(file, line, `relevance "${relField}" is not a number`);
    const queryId = decodeId(qid);
    const docId = decodeId(docField);
    const key = `${queryId}\u0000${docId}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw lineError(file, line, `document ${docId} is judged for query ${queryId} already on line ${earlier}`);
    seen.set(key, line);
    let judged = qrels.get(queryId);
    if (!judged) qrels.set(queryId, (judged = new Map()));
    judged.set(docId, relevance);
  }
  return Object.fromEntries([...qrels].map(([queryId, judged]) => [queryId, Object.fromEntries(judged)]));
}
