import type { MethodResult } from '../../../main/contract/api.js';
import type { SearchMethod } from '../../../main/contract/types.js';

export interface KeyLike {
  key: string;
  isComposing?: boolean;
  keyCode?: number;
  shiftKey?: boolean;
}

/**
 * True while an IME is composing. Korean input commits the last syllable on Enter: the keydown that ends
 * the composition arrives with isComposing (or, in some browsers, keyCode 229 "Process"), and treating it as a
 * submit would search for the query minus its last syllable.
 */
export function isComposing(e: KeyLike): boolean {
  return e.isComposing === true || e.keyCode === 229;
}

export function submitsQuery(e: KeyLike): boolean {
  return e.key === 'Enter' && !e.shiftKey && !isComposing(e);
}

/** A focused search result: column (method) and 0-based position in its list. */
export interface ResultCursor {
  method: SearchMethod;
  index: number;
}

/**
 * Arrow-key movement through the side-by-side results. Up/Down stay in a column; Left/Right go to the next
 * column with hits, onto the same passage when it is there (to compare its ranks) or the same row.
 */
export function moveCursor(results: MethodResult[], cursor: ResultCursor | null, key: string): ResultCursor | null {
  const columns = results.filter((r) => !r.unavailable && r.hits.length > 0);
  if (columns.length === 0) return null;
  if (!cursor || !columns.some((c) => c.method === cursor.method)) {
    return ['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight'].includes(key) ? { method: columns[0]!.method, index: 0 } : cursor;
  }
  const col = columns.findIndex((c) => c.method === cursor.method);
  const hits = columns[col]!.hits;
  switch (key) {
    case 'ArrowDown':
      return { method: cursor.method, index: Math.min(hits.length - 1, cursor.index + 1) };
    case 'ArrowUp':
      return { method: cursor.method, index: Math.max(0, cursor.index - 1) };
    case 'Home':
      return { method: cursor.method, index: 0 };
    case 'End':
      return { method: cursor.method, index: hits.length - 1 };
    case 'ArrowLeft':
    case 'ArrowRight': {
      const next = col + (key === 'ArrowRight' ? 1 : -1);
      if (next < 0 || next >= columns.length) return cursor;
      const target = columns[next]!;
      const docId = hits[cursor.index]?.docId;
      const same = target.hits.findIndex((h) => h.docId === docId);
      return { method: target.method, index: same >= 0 ? same : Math.min(cursor.index, target.hits.length - 1) };
    }
    default:
      return cursor;
  }
}
