import { describe, expect, it } from 'vitest';
import type { MethodResult, SearchHit } from '../../main/contract/api.js';
import { markerLabel, rankMarker, rankMarkers, ranksOf } from '../../renderer/src/logic/rank-diff.js';

const hits = (...ids: string[]): SearchHit[] => ids.map((docId, i) => ({ docId, rank: i + 1, score: 10 - i, text: docId }));

const results: MethodResult[] = [
  { method: 'mvr', hits: hits('d3', 'd1', 'd9', 'd2'), millis: 3 },
  { method: 'bm25', hits: hits('d1', 'd2', 'd3', 'd4'), millis: 1 },
  { method: 'svr', hits: [], unavailable: 'collection is not indexed yet', millis: 0 },
  { method: 'hybrid', hits: hits('d1', 'd3', 'd2', 'd4'), millis: 4 },
];

describe('rank markers', () => {
  it('says how many places a passage moved relative to the reference list', () => {
    expect(rankMarker(1, 3)).toEqual({ kind: 'up', by: 2 });
    expect(rankMarker(4, 2)).toEqual({ kind: 'down', by: 2 });
    expect(rankMarker(2, 2)).toEqual({ kind: 'same' });
    expect(rankMarker(1, undefined)).toEqual({ kind: 'new' });
  });

  it('marks every other available method against the reference, keyed by passage', () => {
    const markers = rankMarkers(results, 'bm25');
    expect(Object.keys(markers).sort()).toEqual(['hybrid', 'mvr']);
    expect(markers.mvr!.get('d3')).toEqual({ kind: 'up', by: 2 });
    expect(markers.mvr!.get('d1')).toEqual({ kind: 'down', by: 1 });
    expect(markers.mvr!.get('d9')).toEqual({ kind: 'new' });
    expect(markers.mvr!.get('d2')).toEqual({ kind: 'down', by: 2 });
    expect(markers.hybrid!.get('d4')).toEqual({ kind: 'same' });
  });

  it('gives no markers when the reference method is unavailable', () => {
    expect(rankMarkers(results, 'svr')).toEqual({});
  });

  it('labels markers with arrows', () => {
    expect(markerLabel({ kind: 'up', by: 3 })).toBe('↑3');
    expect(markerLabel({ kind: 'down', by: 2 })).toBe('↓2');
    expect(markerLabel({ kind: 'new' })).toBe('new');
    expect(markerLabel({ kind: 'same' })).toBe('=');
  });

  it('collects one passage’s rank in every available list', () => {
    expect(ranksOf(results, 'd2')).toEqual({ mvr: 4, bm25: 2, hybrid: 3 });
    expect(ranksOf(results, 'd9')).toEqual({ mvr: 3, bm25: null, hybrid: null });
  });
});
