import { SaegimError } from '../errors.js';
import type { Run } from '../types.js';

/** TREC run format: `qid Q0 docid rank score tag`, the input trec_eval and ranx read. */
export function formatTrecRun(run: Run, tag: string): string {
  const lines: string[] = [];
  for (const [queryId, hits] of Object.entries(run)) {
    for (const h of hits) lines.push(`${queryId} Q0 ${h.docId} ${h.rank} ${h.score.toFixed(6)} ${tag}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export function parseTrecRun(text: string, file = 'run'): Run {
  const run: Run = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const parts = line.split(/\s+/);
    const [qid, , docId, rank, score] = parts;
    if (parts.length !== 6 || !Number.isFinite(Number(rank)) || !Number.isFinite(Number(score))) {
      throw new SaegimError('bad-input', `${file}:${i + 1}: expected "qid Q0 docid rank score tag", got "${line}"`);
    }
    (run[qid!] ??= []).push({ docId: docId!, rank: Number(rank), score: Number(score) });
  });
  for (const hits of Object.values(run)) hits.sort((a, b) => a.rank - b.rank);
  return run;
}
