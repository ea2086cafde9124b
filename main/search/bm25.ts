import type { ScoredPassage } from '../types.js';
import { ANALYZER_NAME, analyze } from './analyzer.js';

export interface Bm25Parameters {
  /** Term-frequency saturation. Anserini's defaults (0.9, 0.4) suit short passages better than 1.2/0.75. */
  k1: number;
  /** Length normalisation strength. */
  b: number;
}

export const DEFAULT_BM25: Bm25Parameters = { k1: 0.9, b: 0.4 };

/** What the store persists: analysed postings, so reopening a collection needs no re-analysis. */
export interface Bm25Postings {
  analyzer: string;
  params: Bm25Parameters;
  docIds: string[];
  docLengths: number[];
  /** term → flat [docIndex, tf, docIndex, tf, …] */
  terms: Record<string, number[]>;
}

interface Posting {
  docs: number[];
  tfs: number[];
}

/**
 * Okapi BM25 over Hangul bigrams (analyzer.ts), held in memory. Documents are addressed by slot;
 * removed documents leave a tombstone so postings need no rewrite.
 */
export class Bm25Index {
  private docIds: string[] = [];
  private docLengths: number[] = [];
  private removed = new Set<number>();
  private postings = new Map<string, Posting>();
  private slotById = new Map<string, number>();
  private totalLength = 0;

  private constructor(readonly params: Bm25Parameters) {}

  static build(docs: Array<{ id: string; text: string }>, params: Bm25Parameters = DEFAULT_BM25): Bm25Index {
    const index = new Bm25Index(params);
    for (const d of docs) index.add(d.id, d.text);
    return index;
  }

  static fromPostings(saved: Bm25Postings): Bm25Index {
    if (saved.analyzer !== ANALYZER_NAME) throw new Error(`BM25 postings were built with analyzer ${saved.analyzer}, this build uses ${ANALYZER_NAME}`);
    const index = new Bm25Index(saved.params);
    index.docIds = saved.docIds.slice();
    index.docLengths = saved.docLengths.slice();
    index.docIds.forEach((id, slot) => index.slotById.set(id, slot));
    index.totalLength = index.docLengths.reduce((a, b) => a + b, 0);
    for (const [term, flat] of Object.entries(saved.terms)) {
      const posting: Posting = { docs: [], tfs: [] };
      for (let i = 0; i < flat.length; i += 2) {
        posting.docs.push(flat[i]!);
        posting.tfs.push(flat[i + 1]!);
      }
      index.postings.set(term, posting);
    }
    return index;
  }

  get size(): number {
    return this.docIds.length - this.removed.size;
  }

  add(id: string, text: string): void {
    if (this.slotById.has(id)) throw new Error(`document "${id}" is already in the BM25 index`);
    const slot = this.docIds.length;
    const terms = analyze(text);
    const counts = new Map<string, number>();
    for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const [term, tf] of counts) {
      let p = this.postings.get(term);
      if (!p) this.postings.set(term, (p = { docs: [], tfs: [] }));
      p.docs.push(slot);
      p.tfs.push(tf);
    }
    this.docIds.push(id);
    this.docLengths.push(terms.length);
    this.slotById.set(id, slot);
    this.totalLength += terms.length;
  }

  remove(id: string): boolean {
    const slot = this.slotById.get(id);
    if (slot === undefined || this.removed.has(slot)) return false;
    this.removed.add(slot);
    this.slotById.delete(id);
    this.totalLength -= this.docLengths[slot]!;
    return true;
  }

  private documentFrequency(p: Posting): number {
    if (this.removed.size === 0) return p.docs.length;
    let df = 0;
    for (const d of p.docs) if (!this.removed.has(d)) df++;
    return df;
  }

  search(query: string, k: number): ScoredPassage[] {
    const n = this.size;
    if (n === 0 || k <= 0) return [];
    const avgdl = this.totalLength / n || 1;
    const { k1, b } = this.params;
    const scores = new Float64Array(this.docIds.length);
    const touched: number[] = [];
    const queryTerms = new Map<string, number>();
    for (const t of analyze(query)) queryTerms.set(t, (queryTerms.get(t) ?? 0) + 1);
    for (const [term, qtf] of queryTerms) {
      const p = this.postings.get(term);
      if (!p) continue;
      const df = this.documentFrequency(p);
      if (df === 0) continue;
      // Lucene's idf: always positive, so very common bigrams add a little instead of subtracting.
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i]!;
        if (this.removed.has(d)) continue;
        const tf = p.tfs[i]!;
        const norm = tf + k1 * (1 - b + (b * this.docLengths[d]!) / avgdl);
        if (scores[d] === 0) touched.push(d);
        scores[d]! += qtf * idf * ((tf * (k1 + 1)) / norm);
      }
    }
    touched.sort((x, y) => scores[y]! - scores[x]! || x - y);
    return touched.slice(0, k).map((d, r) => ({ docId: this.docIds[d]!, score: scores[d]!, rank: r + 1 }));
  }

  /** Postings with tombstones compacted away, ready to persist. */
  toPostings(): Bm25Postings {
    const remap = new Map<number, number>();
    const docIds: string[] = [];
    const docLengths: number[] = [];
    this.docIds.forEach((id, slot) => {
      if (this.removed.has(slot)) return;
      remap.set(slot, docIds.length);
      docIds.push(id);
      docLengths.push(this.docLengths[slot]!);
    });
    const terms: Record<string, number[]> = {};
    for (const [term, p] of this.postings) {
      const flat: number[] = [];
      for (let i = 0; i < p.docs.length; i++) {
        const to = remap.get(p.docs[i]!);
        if (to !== undefined) flat.push(to, p.tfs[i]!);
      }
      if (flat.length > 0) terms[term] = flat;
    }
    return { analyzer: ANALYZER_NAME, params: this.params, docIds, docLengths, terms };
  }
}
