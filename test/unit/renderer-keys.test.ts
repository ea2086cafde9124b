import { describe, expect, it } from 'vitest';
import type { MethodResult, SearchHit } from '../../main/contract/api.js';
import { isComposing, moveCursor, submitsQuery } from '../../renderer/src/logic/keys.js';

describe('IME-safe submit', () => {
  it('does not submit on the Enter that commits a Hangul syllable', () => {
    expect(submitsQuery({ key: 'Enter', isComposing: true })).toBe(false);
    expect(submitsQuery({ key: 'Enter', keyCode: 229 })).toBe(false);
    expect(isComposing({ key: 'Process', keyCode: 229 })).toBe(true);
  });

  it('submits on a plain Enter only', () => {
    expect(submitsQuery({ key: 'Enter', isComposing: false, keyCode: 13 })).toBe(true);
    expect(submitsQuery({ key: 'Enter', shiftKey: true })).toBe(false);
    expect(submitsQuery({ key: 'a' })).toBe(false);
  });
});

const hits = (...ids: string[]): SearchHit[] => ids.map((docId, i) => ({ docId, rank: i + 1, score: 1 - i / 10, text: docId }));
const results: MethodResult[] = [
  { method: 'mvr', hits: hits('a', 'b', 'c'), millis: 1 },
  { method: 'bm25', hits: hits('c', 'a'), millis: 1 },
  { method: 'svr', hits: [], unavailable: 'no model', millis: 0 },
  { method: 'hybrid', hits: hits('a', 'c', 'b'), millis: 1 },
];

describe('arrow keys through results', () => {
  it('starts at the first result of the first available column', () => {
    expect(moveCursor(results, null, 'ArrowDown')).toEqual({ method: 'mvr', index: 0 });
    expect(moveCursor(results, null, 'x')).toBeNull();
  });

  it('moves within a column and stops at its ends', () => {
    expect(moveCursor(results, { method: 'mvr', index: 0 }, 'ArrowDown')).toEqual({ method: 'mvr', index: 1 });
    expect(moveCursor(results, { method: 'mvr', index: 2 }, 'ArrowDown')).toEqual({ method: 'mvr', index: 2 });
    expect(moveCursor(results, { method: 'mvr', index: 0 }, 'ArrowUp')).toEqual({ method: 'mvr', index: 0 });
    expect(moveCursor(results, { method: 'mvr', index: 0 }, 'End')).toEqual({ method: 'mvr', index: 2 });
  });

  it('moves across columns onto the same passage, skipping unavailable methods', () => {
    expect(moveCursor(results, { method: 'mvr', index: 2 }, 'ArrowRight')).toEqual({ method: 'bm25', index: 0 });
    expect(moveCursor(results, { method: 'bm25', index: 1 }, 'ArrowRight')).toEqual({ method: 'hybrid', index: 0 });
    expect(moveCursor(results, { method: 'mvr', index: 1 }, 'ArrowRight')).toEqual({ method: 'bm25', index: 1 });
    expect(moveCursor(results, { method: 'mvr', index: 1 }, 'ArrowLeft')).toEqual({ method: 'mvr', index: 1 });
  });
});
