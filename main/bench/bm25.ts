import { Bm25Index } from '../search/bm25.js';
import { mulberry32 } from '../eval/significance.js';

/**
 * BM25 throughput on synthetic Korean text: eojeol made of syllables drawn with a Zipf-like skew from a
 * fixed inventory, so term statistics resemble prose rather than uniform noise.
 */
export async function benchBm25(opts: { docs?: number; queries?: number; seed?: number } = {}): Promise<Record<string, number>> {
  const docsN = opts.docs ?? 10_000;
  const queriesN = opts.queries ?? 2_000;
  const random = mulberry32(opts.seed ?? 1);
  const syllables = '가나다라마바사아자차카타파하서울한국수도역사과학기술문화경제생활전통음식도시사람연구발전산업정부시장교육'.split('');
  const pick = () => syllables[Math.floor(syllables.length * random() ** 2)]!;
  const eojeol = () => Array.from({ length: 2 + Math.floor(random() * 3) }, pick).join('');
  const sentence = (words: number) => Array.from({ length: words }, eojeol).join(' ');
  const docs = Array.from({ length: docsN }, (_, i) => ({ id: `d${i}`, text: sentence(30 + Math.floor(random() * 50)) }));
  const queries = Array.from({ length: queriesN }, () => sentence(3 + Math.floor(random() * 5)));

  const t0 = performance.now();
  const index = Bm25Index.build(docs);
  const indexMs = performance.now() - t0;
  for (const q of queries.slice(0, 50)) index.search(q, 10);
  const t1 = performance.now();
  for (const q of queries) index.search(q, 10);
  const seconds = (performance.now() - t1) / 1000;
  return { docs: docsN, queries: queriesN, index_ms: indexMs, queries_per_s: queriesN / seconds, ms_per_query: (seconds * 1000) / queriesN };
}
