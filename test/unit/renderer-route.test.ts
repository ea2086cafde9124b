import { describe, expect, it } from 'vitest';
import { readRoute, routeSearch } from '../../renderer/src/logic/route.js';

describe('address-bar routes', () => {
  it('round-trips a Korean query and a passage id', () => {
    const route = { view: 'alignment' as const, collection: 'demo-ko', query: '한글을 만든 왕은 누구인가?', doc: 'hist-001' };
    expect(readRoute(routeSearch(route))).toEqual(route);
  });

  it('keeps the opening state out of the address and ignores unknown views', () => {
    expect(routeSearch({ view: 'search', collection: 'demo-ko', query: null, doc: null })).toBe('');
    expect(readRoute('?view=nope&q=x')).toEqual({ query: 'x' });
  });

  it('drops the passage outside the alignment view', () => {
    expect(routeSearch({ view: 'evaluate', collection: 'c', query: 'q', doc: 'd' })).toBe('?view=evaluate&c=c');
  });
});
