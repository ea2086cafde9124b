import type { MethodResult } from '../../../main/contract/api.js';
import type { SearchMethod } from '../../../main/contract/types.js';

/** How a passage's rank in one method compares with its rank in the reference method's list. */
export type RankMarker =
  | { kind: 'same' }
  | { kind: 'up'; by: number }
  | { kind: 'down'; by: number }
  /** Not in the reference method's top k at all. */
  | { kind: 'new' };

/** `markers[method].get(docId)`; the reference method and unavailable methods get no entry. */
export type RankMarkers = Partial<Record<SearchMethod, Map<string, RankMarker>>>;

export function rankMarker(rank: number, referenceRank: number | undefined): RankMarker {
  if (referenceRank === undefined) return { kind: 'new' };
  if (rank < referenceRank) return { kind: 'up', by: referenceRank - rank };
  if (rank > referenceRank) return { kind: 'down', by: rank - referenceRank };
  return { kind: 'same' };
}

export function rankMarkers(results: MethodResult[], reference: SearchMethod): RankMarkers {
  const ref = results.find((r) => r.method === reference);
  const out: RankMarkers = {};
  if (!ref || ref.unavailable) return out;
  const refRanks = new Map(ref.hits.map((h) => [h.docId, h.rank]));
  for (const result of results) {
    if (result.method === reference || result.unavailable) continue;
    out[result.method] = new Map(result.hits.map((h) => [h.docId, rankMarker(h.rank, refRanks.get(h.docId))]));
  }
  return out;
}

export function markerLabel(marker: RankMarker): string {
  switch (marker.kind) {
    case 'up':
      return `↑${marker.by}`;
    case 'down':
      return `↓${marker.by}`;
    case 'new':
      return 'new';
    default:
      return '=';
  }
}

/** A passage's rank in every method's list (null where it is outside that top k). */
export function ranksOf(results: MethodResult[], docId: string): Partial<Record<SearchMethod, number | null>> {
  const out: Partial<Record<SearchMethod, number | null>> = {};
  for (const r of results) {
    if (r.unavailable) continue;
    out[r.method] = r.hits.find((h) => h.docId === docId)?.rank ?? null;
  }
  return out;
}
