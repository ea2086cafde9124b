import { analyze } from '../search/analyzer.js';

/**
 * Where BM25's terms for `query` occur in `text`, as `[start, end)` spans in `text`'s own offsets, so an
 * alignment can show which passage characters the lexical match and MaxSim agree on. Hangul runs are read
 * as the analyzer reads them, overlapping character bigrams (a one-syllable run as itself); other words
 * whole. Each candidate is passed through analyze() itself, so normalisation (NFKC, case) matches BM25's.
 */
export function lexicalMatches(query: string, text: string): Array<{ start: number; end: number }> {
  const terms = new Set(analyze(query));
  if (terms.size === 0) return [];
  const spans: Array<{ start: number; end: number }> = [];
  const hit = (piece: string) => analyze(piece).some((t) => terms.has(t));
  for (const m of text.matchAll(/[\uac00-\ud7a3\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]+|[\p{L}\p{N}]+/gu)) {
    const run = m[0];
    const at = m.index;
    if (!/^[\uac00-\ud7a3\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]/.test(run)) {
      if (hit(run)) spans.push({ start: at, end: at + run.length });
      continue;
    }
    if (run.length === 1) {
      if (hit(run)) spans.push({ start: at, end: at + 1 });
      continue;
    }
    for (let i = 0; i + 1 < run.length; i++) {
      if (terms.has(analyze(run.slice(i, i + 2))[0] ?? '')) spans.push({ start: at + i, end: at + i + 2 });
    }
  }
  // Overlapping bigrams of one matched stretch read as one span.
  const merged: Array<{ start: number; end: number }> = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged;
}
