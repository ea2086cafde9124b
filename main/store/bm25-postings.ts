import type Database from 'better-sqlite3';
import { SaegimError } from '../contract/errors.js';
import type { ScoredPassage } from '../contract/types.js';
import { ANALYZER_NAME, analyze } from '../search/analyzer.js';
import { Bm25Index, DEFAULT_BM25, type Bm25Parameters, type Bm25Postings } from '../search/bm25.js';
import { indexedText } from '../search/passage-text.js';
import { TermDictionary } from '../search/term-ids.js';
import { topK } from '../search/top-k.js';

/**
 * BM25 postings in SQLite (tables in schema.ts), one row per (term, segment): what a collection of a
 * million passages needs, where one JSON blob of every posting would not fit in a JavaScript string, and
 * loading it would hold every posting in memory at once.
 *
 * - `bm25_stats`: per collection the analyzer, k1 and b, the live document count N, Σ|d| and Σ df.
 * - `bm25_terms`: `(collection_id, term, segment) → df, postings`. A segment is a batch of passages
 *   analysed together (an import's few hundred thousand passages, or passages added later); a term's
 *   postings are the rows of its segments in segment order, documents ascending within and across them.
 * - `bm25_lengths`: per segment the ords of its live passages and their analysed lengths (Int32 blobs).
 *
 * A postings blob is one varint per posting, `(ord − previous ord − 1) · 2 + (tf > 1)`, followed by
 * varint `tf − 2` when tf > 1: bigram term frequencies are mostly 1, so a posting costs 1–3 bytes.
 *
 * Building writes one segment per batch; adding passages writes one more; removing them rewrites the rows
 * of their terms only; `compact` merges a collection's segments into one. Ranking reads only the query
 * terms' rows (`Bm25RowScorer`), or, for collections small enough, loads every row into the in-memory
 * scorer (`Bm25Index`, the same arithmetic), which is faster per query.
 */

/**
 * Collections with at most this many postings (about 20,000 passages) are ranked by the in-memory scorer:
 * loaded in a fraction of a second, and several times faster per query than row reads where a query's
 * dozen term lookups cost more than its postings. Beyond, the row scorer loads in milliseconds and is
 * within 1.5× of the in-memory one per query (100,000 passages: 4.3 ms against 3.0 ms).
 */
export const IN_MEMORY_POSTINGS_LIMIT = 2_000_000;

type I32 = Int32Array<ArrayBuffer>;

/** Postings a segment builder holds before it must be written (12 bytes each while building). */
export const DEFAULT_SEGMENT_POSTINGS = 16_000_000;

export interface Bm25Stats {
  analyzer: string;
  params: Bm25Parameters;
  docs: number;
  totalLength: number;
  postings: number;
  /** Bytes of the rows' terms and blobs. */
  bytes: number;
  nextSegment: number;
}

/** One segment's postings grouped by term (compressed sparse rows), documents ascending within a term. */
export interface SegmentPostings {
  terms: string[];
  /** Postings of terms[t] are entries offsets[t] .. offsets[t+1]. */
  offsets: I32;
  docs: I32;
  tfs: I32;
  /** The segment's passages and their analysed lengths, ords ascending. */
  ords: I32;
  lengths: I32;
}

/** Anything that ranks a collection's passages for a query text. */
export interface Bm25Ranker {
  rank(query: string, k: number): ScoredPassage[];
}

// ── postings blobs ───────────────────────────────────────────────────────────────────────────────────

export function encodePostings(docs: ArrayLike<number>, tfs: ArrayLike<number>, from = 0, to = docs.length): Buffer {
  // Worst case 5 bytes for the gap and 5 for the tf; sized once, then cut.
  const out = Buffer.allocUnsafe((to - from) * 10);
  let at = 0;
  let previous = -1;
  const varint = (value: number) => {
    let v = value;
    while (v >= 0x80) {
      out[at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    out[at++] = v;
  };
  for (let i = from; i < to; i++) {
    const doc = docs[i]!;
    const tf = tfs[i]!;
    if (doc <= previous || tf < 1) throw new SaegimError('internal', `BM25 postings out of order at entry ${i - from}`);
    varint((doc - previous - 1) * 2 + (tf > 1 ? 1 : 0));
    if (tf > 1) varint(tf - 2);
    previous = doc;
  }
  return Buffer.from(out.subarray(0, at));
}

/** Calls `each(ord, tf)` for every posting of a blob, in order; returns how many there were. */
export function decodePostings(blob: Uint8Array, each: (doc: number, tf: number) => void): number {
  let at = 0;
  let doc = -1;
  let n = 0;
  const end = blob.length;
  while (at < end) {
    let v = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = blob[at++]!;
      v += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80);
    doc += (v >>> 1) + 1;
    let tf = 1;
    if (v & 1) {
      let t = 0;
      scale = 1;
      do {
        byte = blob[at++]!;
        t += (byte & 0x7f) * scale;
        scale *= 128;
      } while (byte >= 0x80);
      tf = t + 2;
    }
    each(doc, tf);
    n++;
  }
  return n;
}

function int32Blob(values: I32): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function int32sOf(blob: Buffer): I32 {
  return new Int32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength) as ArrayBuffer);
}

function growInt32(a: I32, need: number): I32 {
  if (need <= a.length) return a;
  const grown = new Int32Array(Math.max(need, a.length * 2, 1024));
  grown.set(a);
  return grown;
}

// ── building segments ────────────────────────────────────────────────────────────────────────────────

/**
 * Analyses passages (ords ascending) into one segment's postings. Terms come as integer ids
 * (search/term-ids.ts) and a passage's term frequencies are counted with per-term stamps rather than a
 * Map per passage: at a million passages string hashing and Maps were most of the build time.
 */
export class Bm25SegmentBuilder {
  private dictionary = new TermDictionary();
  private buffer: I32 = new Int32Array(1024);
  private stamp: I32 = new Int32Array(1024).fill(-1);
  private slot: I32 = new Int32Array(1024);
  private pendingTerms: I32 = new Int32Array(1024);
  private pendingDocs: I32 = new Int32Array(1024);
  private pendingTfs: I32 = new Int32Array(1024);
  private pending = 0;
  private ords: I32 = new Int32Array(1024);
  private lengths: I32 = new Int32Array(1024);
  private docCount = 0;
  private lastOrd = -1;

  /** Postings held so far. */
  get postings(): number {
    return this.pending;
  }

  get docs(): number {
    return this.docCount;
  }

  add(ord: number, text: string): void {
    if (ord <= this.lastOrd) throw new SaegimError('internal', `BM25 segment passages must come in ord order (${ord} after ${this.lastOrd})`);
    this.lastOrd = ord;
    const { ids, count } = this.dictionary.analyze(text, this.buffer);
    this.buffer = ids;
    const vocabulary = this.dictionary.size;
    if (vocabulary > this.stamp.length) {
      const stamp = new Int32Array(Math.max(vocabulary, this.stamp.length * 2)).fill(-1);
      stamp.set(this.stamp);
      this.stamp = stamp;
      this.slot = growInt32(this.slot, stamp.length);
    }
    const doc = this.docCount;
    const first = this.pending;
    const need = first + count;
    if (need > this.pendingTerms.length) {
      this.pendingTerms = growInt32(this.pendingTerms, need);
      this.pendingDocs = growInt32(this.pendingDocs, need);
      this.pendingTfs = growInt32(this.pendingTfs, need);
    }
    const { stamp, slot, pendingTerms, pendingDocs, pendingTfs } = this;
    let at = first;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (stamp[id] !== doc) {
        stamp[id] = doc;
        slot[id] = at;
        pendingTerms[at] = id;
        pendingDocs[at] = ord;
        pendingTfs[at] = 1;
        at++;
      } else {
        pendingTfs[slot[id]!]!++;
      }
    }
    this.pending = at;
    this.ords = growInt32(this.ords, doc + 1);
    this.lengths = growInt32(this.lengths, doc + 1);
    this.ords[doc] = ord;
    this.lengths[doc] = count;
    this.docCount++;
  }

  /** The segment built so far, grouped by term (terms sorted, so rows go into the table in key order); resets the builder. */
  take(): SegmentPostings {
    const names = this.dictionary.terms;
    const termCount = names.length;
    const order = Array.from({ length: termCount }, (_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
    const rankOf = new Int32Array(termCount);
    order.forEach((t, r) => (rankOf[t] = r));
    const offsets = new Int32Array(termCount + 1);
    for (let i = 0; i < this.pending; i++) offsets[rankOf[this.pendingTerms[i]!]! + 1]!++;
    for (let t = 0; t < termCount; t++) offsets[t + 1]! += offsets[t]!;
    const cursor = offsets.slice(0, termCount);
    const docs = new Int32Array(this.pending);
    const tfs = new Int32Array(this.pending);
    for (let i = 0; i < this.pending; i++) {
      const r = rankOf[this.pendingTerms[i]!]!;
      docs[cursor[r]!] = this.pendingDocs[i]!;
      tfs[cursor[r]!] = this.pendingTfs[i]!;
      cursor[r]!++;
    }
    const segment: SegmentPostings = {
      terms: order.map((t) => names[t]!),
      offsets,
      docs,
      tfs,
      ords: this.ords.slice(0, this.docCount),
      lengths: this.lengths.slice(0, this.docCount),
    };
    // The next segment starts afresh; only the ord order carries over.
    this.dictionary = new TermDictionary();
    this.stamp = new Int32Array(1024).fill(-1);
    this.slot = new Int32Array(1024);
    this.pendingTerms = new Int32Array(1024);
    this.pendingDocs = new Int32Array(1024);
    this.pendingTfs = new Int32Array(1024);
    this.pending = 0;
    this.ords = new Int32Array(1024);
    this.lengths = new Int32Array(1024);
    this.docCount = 0;
    return segment;
  }
}

// ── the store ────────────────────────────────────────────────────────────────────────────────────────

interface StatsRow {
  analyzer: string;
  k1: number;
  b: number;
  docs: number;
  total_length: number;
  postings: number;
  bytes: number;
  next_segment: number;
}

/**
 * Reads and writes a database's BM25 tables. Writes run inside the caller's transaction where there is
 * one (an import's batch), so postings commit together with the passages they index.
 */
export class Bm25PostingsStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  stats(collectionId: number): Bm25Stats | null {
    const row = this.stmt(`SELECT analyzer, k1, b, docs, total_length, postings, bytes, next_segment FROM bm25_stats WHERE collection_id = ?`).get(collectionId) as
      | StatsRow
      | undefined;
    if (!row) return null;
    return {
      analyzer: row.analyzer,
      params: { k1: row.k1, b: row.b },
      docs: row.docs,
      totalLength: row.total_length,
      postings: row.postings,
      bytes: row.bytes,
      nextSegment: row.next_segment,
    };
  }

  /** Starts an empty index for a collection, dropping any it had. */
  reset(collectionId: number, params: Bm25Parameters = DEFAULT_BM25): void {
    this.drop(collectionId);
    this.stmt(`INSERT INTO bm25_stats (collection_id, analyzer, k1, b, docs, total_length, postings, bytes, next_segment) VALUES (?, ?, ?, ?, 0, 0, 0, 0, 0)`).run(
      collectionId,
      ANALYZER_NAME,
      params.k1,
      params.b,
    );
  }

  drop(collectionId: number): void {
    this.stmt(`DELETE FROM bm25_terms WHERE collection_id = ?`).run(collectionId);
    this.stmt(`DELETE FROM bm25_lengths WHERE collection_id = ?`).run(collectionId);
    this.stmt(`DELETE FROM bm25_stats WHERE collection_id = ?`).run(collectionId);
  }

  /** Appends one segment: its rows, its passages' lengths and the collection's totals. */
  writeSegment(collectionId: number, segment: SegmentPostings): void {
    const stats = this.stats(collectionId);
    if (!stats) throw new SaegimError('internal', 'BM25 index not started for this collection');
    if (segment.ords.length === 0) return;
    const id = stats.nextSegment;
    const insert = this.stmt(`INSERT INTO bm25_terms (collection_id, term, segment, df, postings) VALUES (?, ?, ?, ?, ?)`);
    let bytes = 0;
    for (let t = 0; t < segment.terms.length; t++) {
      const from = segment.offsets[t]!;
      const to = segment.offsets[t + 1]!;
      if (to <= from) continue;
      const blob = encodePostings(segment.docs, segment.tfs, from, to);
      bytes += blob.length + Buffer.byteLength(segment.terms[t]!);
      insert.run(collectionId, segment.terms[t], id, to - from, blob);
    }
    this.stmt(`INSERT INTO bm25_lengths (collection_id, segment, ords, lengths) VALUES (?, ?, ?, ?)`).run(collectionId, id, int32Blob(segment.ords), int32Blob(segment.lengths));
    bytes += segment.ords.byteLength + segment.lengths.byteLength;
    let total = 0;
    for (const l of segment.lengths) total += l;
    this.stmt(
      `UPDATE bm25_stats SET docs = docs + ?, total_length = total_length + ?, postings = postings + ?, bytes = bytes + ?, next_segment = next_segment + 1
       WHERE collection_id = ?`,
    ).run(segment.ords.length, total, segment.docs.length, bytes, collectionId);
  }

  /** Analyses and adds passages whose ords all follow the collection's indexed ones, as one new segment. */
  addDocuments(collectionId: number, docs: Iterable<{ ord: number; text: string }>): void {
    const builder = new Bm25SegmentBuilder();
    for (const d of docs) builder.add(d.ord, d.text);
    this.db.transaction(() => {
      if (!this.stats(collectionId)) this.reset(collectionId);
      this.writeSegment(collectionId, builder.take());
    })();
  }

  /**
   * Removes passages (their text is analysed again to find the rows they are in): only the rows of their
   * terms are rewritten, and the lengths of their segments.
   */
  removeDocuments(collectionId: number, docs: Iterable<{ ord: number; text: string }>): void {
    const gone = new Set<number>();
    const terms = new Set<string>();
    for (const d of docs) {
      gone.add(d.ord);
      for (const t of analyze(d.text)) terms.add(t);
    }
    if (gone.size === 0) return;
    this.db.transaction(() => {
      const rows = this.stmt(`SELECT segment, postings FROM bm25_terms WHERE collection_id = ? AND term = ?`);
      const update = this.stmt(`UPDATE bm25_terms SET df = ?, postings = ? WHERE collection_id = ? AND term = ? AND segment = ?`);
      const remove = this.stmt(`DELETE FROM bm25_terms WHERE collection_id = ? AND term = ? AND segment = ?`);
      let removedPostings = 0;
      let removedBytes = 0;
      for (const term of terms) {
        for (const row of rows.all(collectionId, term) as Array<{ segment: number; postings: Buffer }>) {
          const keptDocs: number[] = [];
          const keptTfs: number[] = [];
          decodePostings(row.postings, (doc, tf) => {
            if (gone.has(doc)) return;
            keptDocs.push(doc);
            keptTfs.push(tf);
          });
          const before = decodePostings(row.postings, () => {});
          if (before === keptDocs.length) continue;
          removedPostings += before - keptDocs.length;
          if (keptDocs.length === 0) {
            remove.run(collectionId, term, row.segment);
            removedBytes += row.postings.length + Buffer.byteLength(term);
          } else {
            const blob = encodePostings(keptDocs, keptTfs);
            removedBytes += row.postings.length - blob.length;
            update.run(keptDocs.length, blob, collectionId, term, row.segment);
          }
        }
      }
      let removedDocs = 0;
      let removedLength = 0;
      for (const seg of this.stmt(`SELECT segment, ords, lengths FROM bm25_lengths WHERE collection_id = ?`).all(collectionId) as Array<{
        segment: number;
        ords: Buffer;
        lengths: Buffer;
      }>) {
        const ords = int32sOf(seg.ords);
        const lengths = int32sOf(seg.lengths);
        const keep: number[] = [];
        for (let i = 0; i < ords.length; i++) {
          if (gone.has(ords[i]!)) {
            removedDocs++;
            removedLength += lengths[i]!;
          } else keep.push(i);
        }
        if (keep.length === ords.length) continue;
        removedBytes += 8 * (ords.length - keep.length);
        if (keep.length === 0) this.stmt(`DELETE FROM bm25_lengths WHERE collection_id = ? AND segment = ?`).run(collectionId, seg.segment);
        else {
          this.stmt(`UPDATE bm25_lengths SET ords = ?, lengths = ? WHERE collection_id = ? AND segment = ?`).run(
            int32Blob(Int32Array.from(keep, (i) => ords[i]!)),
            int32Blob(Int32Array.from(keep, (i) => lengths[i]!)),
            collectionId,
            seg.segment,
          );
        }
      }
      this.stmt(`UPDATE bm25_stats SET docs = docs - ?, total_length = total_length - ?, postings = postings - ?, bytes = bytes - ? WHERE collection_id = ?`).run(
        removedDocs,
        removedLength,
        removedPostings,
        removedBytes,
        collectionId,
      );
    })();
  }

  /** Segments the collection's rows are spread over. */
  segmentCount(collectionId: number): number {
    return (this.stmt(`SELECT COUNT(*) AS n FROM bm25_lengths WHERE collection_id = ?`).get(collectionId) as { n: number }).n;
  }

  /**
   * Merges every segment into one: a term's rows become one row (its blobs decoded and re-encoded in
   * segment order), the lengths one row. Terms are taken a page at a time, so memory holds one page of
   * rows; call it inside a transaction to make the merge atomic.
   */
  compact(collectionId: number, pageTerms = 20_000): void {
    const stats = this.stats(collectionId);
    if (!stats || this.segmentCount(collectionId) <= 1) return;
    const target = stats.nextSegment;
    const page = this.stmt(
      `SELECT term, segment, postings FROM bm25_terms WHERE collection_id = ? AND term > ? AND segment < ? ORDER BY term, segment LIMIT ?`,
    );
    const insert = this.stmt(`INSERT INTO bm25_terms (collection_id, term, segment, df, postings) VALUES (?, ?, ?, ?, ?)`);
    const removeOld = this.stmt(`DELETE FROM bm25_terms WHERE collection_id = ? AND term = ? AND segment < ?`);
    const moveRow = this.stmt(`UPDATE bm25_terms SET segment = ? WHERE collection_id = ? AND term = ? AND segment = ?`);
    let after = '';
    let bytes = 0;
    let docs = new Int32Array(1024);
    let tfs = new Int32Array(1024);
    for (;;) {
      const rows = page.all(collectionId, after, target, pageTerms) as Array<{ term: string; segment: number; postings: Buffer }>;
      if (rows.length === 0) break;
      // The last term of a full page may continue on the next one: leave it for that page.
      let end = rows.length;
      if (rows.length === pageTerms) {
        const lastTerm = rows[rows.length - 1]!.term;
        while (end > 0 && rows[end - 1]!.term === lastTerm) end--;
        if (end === 0) end = rows.length;
      }
      for (let i = 0; i < end; ) {
        const term = rows[i]!.term;
        let j = i;
        while (j < end && rows[j]!.term === term) j++;
        after = term;
        if (j - i === 1) {
          // A term in one segment only keeps its blob as it is.
          moveRow.run(target, collectionId, term, rows[i]!.segment);
          bytes += rows[i]!.postings.length + Buffer.byteLength(term);
          i = j;
          continue;
        }
        let n = 0;
        for (let r = i; r < j; r++) {
          decodePostings(rows[r]!.postings, (doc, tf) => {
            if (n >= docs.length) {
              docs = growInt32(docs, n + 1);
              tfs = growInt32(tfs, n + 1);
            }
            docs[n] = doc;
            tfs[n] = tf;
            n++;
          });
        }
        removeOld.run(collectionId, term, target);
        const blob = encodePostings(docs, tfs, 0, n);
        bytes += blob.length + Buffer.byteLength(term);
        insert.run(collectionId, term, target, n, blob);
        i = j;
      }
    }
    const segments = this.stmt(`SELECT ords, lengths FROM bm25_lengths WHERE collection_id = ? ORDER BY segment`).all(collectionId) as Array<{
      ords: Buffer;
      lengths: Buffer;
    }>;
    const ords = concatInt32(segments.map((s) => int32sOf(s.ords)));
    const lengths = concatInt32(segments.map((s) => int32sOf(s.lengths)));
    this.stmt(`DELETE FROM bm25_lengths WHERE collection_id = ?`).run(collectionId);
    this.stmt(`INSERT INTO bm25_lengths (collection_id, segment, ords, lengths) VALUES (?, ?, ?, ?)`).run(collectionId, target, int32Blob(ords), int32Blob(lengths));
    this.stmt(`UPDATE bm25_stats SET next_segment = ?, bytes = ? WHERE collection_id = ?`).run(target + 1, bytes + 8 * ords.length, collectionId);
  }

  /** Every live passage's ord and length, ords ascending. */
  lengths(collectionId: number): { ords: I32; lengths: I32 } {
    const segments = this.stmt(`SELECT ords, lengths FROM bm25_lengths WHERE collection_id = ? ORDER BY segment`).all(collectionId) as Array<{
      ords: Buffer;
      lengths: Buffer;
    }>;
    return { ords: concatInt32(segments.map((s) => int32sOf(s.ords))), lengths: concatInt32(segments.map((s) => int32sOf(s.lengths))) };
  }

  /**
   * Writes postings saved by an older Saegim (one JSON `Bm25Postings` blob, documents by position in
   * ord order) as rows, in one segment.
   */
  importLegacy(collectionId: number, saved: Bm25Postings, ordOf: (docId: string) => number | undefined): void {
    const n = saved.docIds.length;
    const ords = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const ord = ordOf(saved.docIds[i]!);
      if (ord === undefined) throw new SaegimError('bad-input', `BM25 postings name passage "${saved.docIds[i]}", which the collection does not have`);
      ords[i] = ord;
    }
    const byOrd = Array.from({ length: n }, (_, i) => i).sort((a, b) => ords[a]! - ords[b]!);
    const terms = Object.keys(saved.terms).sort();
    let total = 0;
    for (const t of terms) total += saved.terms[t]!.length >> 1;
    const offsets = new Int32Array(terms.length + 1);
    const docs = new Int32Array(total);
    const tfs = new Int32Array(total);
    let at = 0;
    terms.forEach((term, t) => {
      const flat = saved.terms[term]!;
      const pairs: Array<[number, number]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([ords[flat[i]!]!, flat[i + 1]!]);
      pairs.sort((a, b) => a[0] - b[0]);
      for (const [doc, tf] of pairs) {
        docs[at] = doc;
        tfs[at] = tf;
        at++;
      }
      offsets[t + 1] = at;
    });
    this.reset(collectionId, saved.params);
    this.writeSegment(collectionId, {
      terms,
      offsets,
      docs,
      tfs,
      ords: Int32Array.from(byOrd, (i) => ords[i]!),
      lengths: Int32Array.from(byOrd, (i) => saved.docLengths[i]!),
    });
  }

  /**
   * A scorer for the collection's stored postings: the in-memory `Bm25Index` when they are few enough,
   * otherwise one that reads the query terms' rows per query. Null when the collection has no postings of
   * this analyzer (they must be built first).
   */
  open(collectionId: number, docIdOf: DocIdLookup, opts: { inMemoryLimit?: number } = {}): Bm25Ranker | null {
    const stats = this.stats(collectionId);
    if (!stats || stats.analyzer !== ANALYZER_NAME) return null;
    if (stats.postings <= (opts.inMemoryLimit ?? IN_MEMORY_POSTINGS_LIMIT)) return this.loadInMemory(collectionId, stats, docIdOf);
    return new Bm25RowScorer(this.db, collectionId, stats, this.lengths(collectionId), docIdOf);
  }

  /** Every row, into the in-memory scorer's arrays; passages take slots in ord order, as an in-memory build gives them. */
  loadInMemory(collectionId: number, stats: Bm25Stats, docIdOf: DocIdLookup): Bm25Index {
    const { ords, lengths } = this.lengths(collectionId);
    const maxOrd = ords.length > 0 ? ords[ords.length - 1]! : -1;
    const slotOf = new Int32Array(maxOrd + 1).fill(-1);
    ords.forEach((ord, slot) => (slotOf[ord] = slot));
    const docIds = docIdOf.many(ords);
    const terms: string[] = [];
    let termOffsets = new Int32Array(1024);
    let docs = new Int32Array(Math.max(1, stats.postings));
    let tfs = new Int32Array(Math.max(1, stats.postings));
    let at = 0;
    let previousTerm: string | null = null;
    let lastSlot = -1;
    for (const [term, blob] of this.stmt(`SELECT term, postings FROM bm25_terms WHERE collection_id = ? ORDER BY term, segment`)
      .raw()
      .iterate(collectionId) as IterableIterator<[string, Buffer]>) {
      if (term !== previousTerm) {
        termOffsets = growInt32(termOffsets, terms.length + 2);
        termOffsets[terms.length] = at;
        terms.push(term);
        previousTerm = term;
        lastSlot = -1;
      }
      decodePostings(blob, (ord, tf) => {
        const slot = ord <= maxOrd ? slotOf[ord]! : -1;
        if (slot <= lastSlot) throw new SaegimError('bad-input', `BM25 postings for term "${term}" are corrupt (passage ${ord})`);
        if (at >= docs.length) {
          docs = growInt32(docs, at + 1);
          tfs = growInt32(tfs, at + 1);
        }
        docs[at] = slot;
        tfs[at] = tf;
        at++;
        lastSlot = slot;
      });
    }
    termOffsets = growInt32(termOffsets, terms.length + 1);
    termOffsets[terms.length] = at;
    return Bm25Index.fromArrays(
      { docIds, docLengths: lengths, terms, offsets: termOffsets.subarray(0, terms.length + 1), docs: docs.subarray(0, at), tfs: tfs.subarray(0, at) },
      stats.params,
    );
  }
}

function concatInt32(parts: I32[]): I32 {
  if (parts.length === 1) return parts[0]!;
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Passage ids by ord: a few per query for the row scorer, all at once for the in-memory one. */
export interface DocIdLookup {
  one(ord: number): string;
  many(ords: I32): string[];
}

/** Ids from the `documents` table. */
export function documentIds(db: Database.Database, collectionId: number): DocIdLookup {
  const one = db.prepare(`SELECT doc_id FROM documents WHERE collection_id = ? AND ord = ?`).pluck();
  return {
    one(ord) {
      const id = one.get(collectionId, ord) as string | undefined;
      if (id === undefined) throw new SaegimError('not-found', `BM25 postings name passage ${ord}, which the collection no longer has`);
      return id;
    },
    many(ords) {
      const byOrd = new Map<number, string>();
      for (const [ord, id] of db.prepare(`SELECT ord, doc_id FROM documents WHERE collection_id = ? ORDER BY ord`).raw().iterate(collectionId) as IterableIterator<
        [number, string]
      >) {
        byOrd.set(ord, id);
      }
      return Array.from(ords, (ord) => {
        const id = byOrd.get(ord);
        if (id === undefined) throw new SaegimError('not-found', `BM25 postings name passage ${ord}, which the collection no longer has`);
        return id;
      });
    },
  };
}

/**
 * BM25 over stored rows for collections too large to hold every posting: per query it reads the query
 * terms' rows (one indexed lookup each) and accumulates into per-ord arrays. The arithmetic, term order and
 * tie-break (lower ord first) are the in-memory `Bm25Index`'s, so both give the same ranking and scores.
 */
export class Bm25RowScorer implements Bm25Ranker {
  private readonly norms: Float64Array;
  private readonly scores: Float64Array;
  private readonly touched: I32;
  private readonly lookup: Database.Statement;
  private readonly k1plus1: number;

  constructor(
    db: Database.Database,
    private readonly collectionId: number,
    private readonly stats: Bm25Stats,
    docs: { ords: I32; lengths: I32 },
    private readonly docIdOf: DocIdLookup,
  ) {
    const size = docs.ords.length > 0 ? docs.ords[docs.ords.length - 1]! + 1 : 0;
    this.norms = new Float64Array(size);
    this.scores = new Float64Array(size);
    this.touched = new Int32Array(docs.ords.length);
    const { k1, b } = stats.params;
    const n = docs.ords.length;
    let totalLength = 0;
    for (const l of docs.lengths) totalLength += l;
    const avgdl = totalLength / n || 1;
    for (let i = 0; i < docs.ords.length; i++) this.norms[docs.ords[i]!] = k1 * (1 - b + (b * docs.lengths[i]!) / avgdl);
    this.k1plus1 = k1 + 1;
    this.lookup = db.prepare(`SELECT df, postings FROM bm25_terms WHERE collection_id = ? AND term = ? ORDER BY segment`).raw();
  }

  get size(): number {
    return this.touched.length;
  }

  rank(query: string, k: number): ScoredPassage[] {
    const n = this.touched.length;
    if (n === 0 || !(k >= 1)) return [];
    const queryTerms = new Map<string, { qtf: number; rows: Array<[number, Buffer]> }>();
    const absent = new Set<string>();
    for (const term of analyze(query)) {
      const seen = queryTerms.get(term);
      if (seen) {
        seen.qtf++;
        continue;
      }
      if (absent.has(term)) continue;
      const rows = this.lookup.all(this.collectionId, term) as Array<[number, Buffer]>;
      if (rows.length > 0) queryTerms.set(term, { qtf: 1, rows });
      else absent.add(term);
    }
    if (queryTerms.size === 0) return [];
    const { scores, touched, norms, k1plus1 } = this;
    let matched = 0;
    for (const { qtf, rows } of queryTerms.values()) {
      let df = 0;
      for (const [rowDf] of rows) df += rowDf;
      const weight = qtf * Math.log(1 + (n - df + 0.5) / (df + 0.5)) * k1plus1;
      for (const [, blob] of rows) {
        // Inlined decodePostings: this loop is the scorer's whole cost.
        let at = 0;
        let d = -1;
        const end = blob.length;
        while (at < end) {
          let v = blob[at++]!;
          if (v >= 0x80) {
            v &= 0x7f;
            let scale = 128;
            let byte: number;
            do {
              byte = blob[at++]!;
              v += (byte & 0x7f) * scale;
              scale *= 128;
            } while (byte >= 0x80);
          }
          d += (v >>> 1) + 1;
          let tf = 1;
          if (v & 1) {
            let t = 0;
            let scale = 1;
            let byte: number;
            do {
              byte = blob[at++]!;
              t += (byte & 0x7f) * scale;
              scale *= 128;
            } while (byte >= 0x80);
            tf = t + 2;
          }
          if (scores[d] === 0) touched[matched++] = d;
          scores[d]! += (weight * tf) / (tf + norms[d]!);
        }
      }
    }
    const top = topK(scores, k, touched, matched);
    for (let i = 0; i < matched; i++) scores[touched[i]!] = 0;
    return top.map(({ index, score }, r) => ({ docId: this.docIdOf.one(index), score, rank: r + 1 }));
  }
}

export interface Bm25BuildOptions {
  /** Postings held in memory before a segment is written (default DEFAULT_SEGMENT_POSTINGS). */
  segmentPostings?: number;
  /** Passages read from the store per query. */
  pageSize?: number;
  /** Merge the segments into one at the end (default: when there are several). */
  compact?: boolean;
  /** After every page: progress, and the caller's chance to renew a lock or stop (by throwing). */
  onPage?: (done: number, total: number) => void;
}

export interface Bm25BuildOutcome {
  docs: number;
  postings: number;
  segments: number;
  analyseSeconds: number;
  compactSeconds: number;
}

/**
 * Analyses a collection's stored passages (title + text, as search shows them) into fresh postings, a
 * page of passages at a time, writing a segment whenever the builder holds `segmentPostings`: memory
 * stays bounded by the segment size whatever the collection's. Each segment is its own transaction, or
 * part of the caller's when there is one (then the whole build is atomic).
 */
export function buildBm25FromDocuments(store: Bm25PostingsStore, collectionId: number, opts: Bm25BuildOptions = {}): Bm25BuildOutcome {
  const started = performance.now();
  const db = store.db;
  const limit = opts.segmentPostings ?? DEFAULT_SEGMENT_POSTINGS;
  const pageSize = opts.pageSize ?? 5000;
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM documents WHERE collection_id = ?`).get(collectionId) as { n: number }).n;
  const page = db.prepare(`SELECT ord, title, text FROM documents WHERE collection_id = ? AND ord > ? ORDER BY ord LIMIT ?`).raw();
  db.transaction(() => store.reset(collectionId))();
  const builder = new Bm25SegmentBuilder();
  let after = -1;
  let done = 0;
  let postings = 0;
  let segments = 0;
  const flush = () => {
    if (builder.docs === 0) return;
    postings += builder.postings;
    const segment = builder.take();
    db.transaction(() => store.writeSegment(collectionId, segment))();
    segments++;
  };
  for (;;) {
    const rows = page.all(collectionId, after, pageSize) as Array<[number, string | null, string]>;
    if (rows.length === 0) break;
    for (const [ord, title, text] of rows) {
      builder.add(ord, indexedText({ title: title ?? undefined, text }));
      if (builder.postings >= limit) flush();
    }
    after = rows[rows.length - 1]![0];
    done += rows.length;
    opts.onPage?.(done, total);
  }
  flush();
  const analysed = performance.now();
  if (opts.compact ?? segments > 1) db.transaction(() => store.compact(collectionId))();
  return {
    docs: done,
    postings,
    segments,
    analyseSeconds: (analysed - started) / 1000,
    compactSeconds: (performance.now() - analysed) / 1000,
  };
}
