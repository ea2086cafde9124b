import { registerRetriever, type Retriever } from './retriever.js';

/** BM25 over Hangul character bigrams (search/bm25.ts): needs no model. */
export const bm25Retriever: Retriever = {
  method: 'bm25',
  needs: 'text',
  async retrieve(index, query, depth) {
    return index.bm25Index().rank(query.text, depth);
  },
};

registerRetriever(bm25Retriever);
