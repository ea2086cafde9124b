/**
 * Korean particles (josa) and endings that carry no content on their own. A query made only of these and
 * punctuation leaves MaxSim nothing to match but markers and [MASK] padding: its ranking is noise.
 */
const PARTICLES = new Set(
  '은 는 이 가 을 를 의 에 에서 에게 께 께서 한테 와 과 도 만 로 으로 부터 까지 요 고 며 나 이나 랑 이랑 하고 처럼 보다 마다 조차 밖에 야 아 여 이여 든지 이든지'.split(' '),
);

/** Why a query cannot be searched meaningfully, or null when it has content words. */
export function contentlessQuery(query: string): 'punctuation' | 'particles' | null {
  const words = query
    .split(/\s+/)
    .map((w) => w.replace(/[\p{P}\p{S}]/gu, ''))
    .filter((w) => w.length > 0);
  if (words.length === 0) return query.trim().length > 0 ? 'punctuation' : null;
  return words.every((w) => PARTICLES.has(w)) ? 'particles' : null;
}
