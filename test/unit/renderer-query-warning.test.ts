import { describe, expect, it } from 'vitest';
import { contentlessQuery } from '../../renderer/src/logic/query-warning.js';

describe('queries with nothing to match', () => {
  it('flags punctuation-only and particle-only queries', () => {
    expect(contentlessQuery('?!…')).toBe('punctuation');
    expect(contentlessQuery('은 는 이 가?')).toBe('particles');
    expect(contentlessQuery('에서, 으로')).toBe('particles');
  });

  it('leaves queries with a content word alone', () => {
    expect(contentlessQuery('한글을 만든 왕은?')).toBeNull();
    expect(contentlessQuery('세종')).toBeNull();
    expect(contentlessQuery('')).toBeNull();
  });
});
