import { SaegimError } from '../contract/errors.js';
import { scoringQuery } from './query-scoring.js';
import { registerRetriever, type Retriever } from './retriever.js';

/** MVR on the exact kernel: every indexed passage scored, S(q,d) = Σ_i w_i max_j E_q[i]·E_d[j] (search/maxsim.ts; w_i from query-scoring.ts). */
export const exactMaxSimRetriever: Retriever = {
  method: 'mvr',
  tokenIndex: 'exact',
  needs: 'vectors',
  async retrieve(index, query, depth) {
    if (!query.encoded) throw new SaegimError('model-missing', 'no encoder for vector search');
    const top = await index.maxSimIndex().topK(scoringQuery(query.encoded, query.queryScoring).weighted, depth, { skipMasked: query.skipPunctuation });
    return index.hitsFromSlots(top);
  },
};

registerRetriever(exactMaxSimRetriever);
