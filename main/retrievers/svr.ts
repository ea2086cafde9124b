import { SaegimError } from '../contract/errors.js';
import { pooledVector } from '../search/svr.js';
import { registerRetriever, type Retriever } from './retriever.js';

/**
 * Single-vector retrieval: one vector per text, cosine (search/svr.ts) — the model's pooled output where the
 * collection was indexed with one, else the mean of the token vectors; passages and query always alike.
 */
export const svrRetriever: Retriever = {
  method: 'svr',
  needs: 'vectors',
  async retrieve(index, query, depth) {
    if (!query.encoded) throw new SaegimError('model-missing', 'no encoder for vector search');
    const vector = query.pooling === 'model' ? query.encoded.pooled : pooledVector(query.encoded.vectors);
    if (!vector) throw new SaegimError('model-invalid', "this collection's SVR vectors are the model's pooled output, but the model gave the query none");
    return index.pooledIndex().topK(vector, depth);
  },
};

registerRetriever(svrRetriever);
