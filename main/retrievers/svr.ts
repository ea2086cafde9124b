import { SaegimError } from '../contract/errors.js';
import { pooledVector } from '../search/svr.js';
import { registerRetriever, type Retriever } from './retriever.js';

/** Single-vector retrieval: one pooled vector per text, cosine (search/svr.ts). */
export const svrRetriever: Retriever = {
  method: 'svr',
  needs: 'vectors',
  async retrieve(index, query, depth) {
    if (!query.encoded) throw new SaegimError('model-missing', 'no encoder for vector search');
    return index.pooledIndex().topK(pooledVector(query.encoded.vectors), depth);
  },
};

registerRetriever(svrRetriever);
