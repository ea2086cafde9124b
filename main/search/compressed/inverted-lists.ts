/**
 * Centroid → document inverted lists (PLAID's "codes to passages" map) in CSR form: `offsets[c]` to
 * `offsets[c + 1]` delimit centroid c's slots in `ids`. A document appears once per centroid however many
 * of its tokens share it, and slots within a list ascend.
 */
export interface InvertedLists {
  offsets: Float64Array;
  ids: Uint32Array;
}

/** Collects each document's distinct centroids while documents stream past in slot order. */
export class ListBuilder {
  private readonly lastDoc: Int32Array;
  private readonly counts: Float64Array;
  private uniq: Uint16Array = new Uint16Array(1 << 16);
  private used = 0;
  private docDistinct: Uint32Array = new Uint32Array(1 << 12);
  private docs = 0;

  constructor(readonly centroids: number) {
    this.lastDoc = new Int32Array(centroids).fill(-1);
    this.counts = new Float64Array(centroids);
  }

  /** Adds document `slot` (the next one in order) with the codes of its tokens. */
  addDoc(slot: number, codes: Uint16Array): void {
    if (slot !== this.docs) throw new Error(`documents must arrive in slot order (got ${slot}, expected ${this.docs})`);
    if (this.used + codes.length > this.uniq.length) this.uniq = grow(this.uniq, this.used + codes.length);
    let distinct = 0;
    for (let j = 0; j < codes.length; j++) {
      const c = codes[j]!;
      if (this.lastDoc[c] === slot) continue;
      this.lastDoc[c] = slot;
      this.counts[c]!++;
      this.uniq[this.used++] = c;
      distinct++;
    }
    if (this.docs >= this.docDistinct.length) this.docDistinct = grow(this.docDistinct, this.docs + 1);
    this.docDistinct[this.docs++] = distinct;
  }

  finish(): InvertedLists {
    const k = this.centroids;
    const offsets = new Float64Array(k + 1);
    for (let c = 0; c < k; c++) offsets[c + 1] = offsets[c]! + this.counts[c]!;
    const ids = new Uint32Array(this.used);
    const cursor = Float64Array.from(offsets.subarray(0, k));
    let at = 0;
    for (let slot = 0; slot < this.docs; slot++) {
      const end = at + this.docDistinct[slot]!;
      for (; at < end; at++) ids[cursor[this.uniq[at]!]!++] = slot;
    }
    return { offsets, ids };
  }
}

function grow<T extends Uint16Array | Uint32Array>(a: T, atLeast: number): T {
  let size = a.length * 2;
  while (size < atLeast) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Distinct (centroid, slot) pairs of a few documents, as flat [c0, s0, c1, s1, …]. */
export function distinctPairs(codes: Uint16Array, lengths: ArrayLike<number>, firstSlot: number, centroids: number): Uint32Array {
  const seen = new Int32Array(centroids).fill(-1);
  const pairs: number[] = [];
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const slot = firstSlot + i;
    for (let j = 0; j < lengths[i]!; j++) {
      const c = codes[at + j]!;
      if (seen[c] === slot) continue;
      seen[c] = slot;
      pairs.push(c, slot);
    }
    at += lengths[i]!;
  }
  return Uint32Array.from(pairs);
}

/** CSR lists from flat pairs; slots within each list keep the order they had among the pairs. */
export function listsFromPairs(pairs: Uint32Array, centroids: number): InvertedLists {
  const offsets = new Float64Array(centroids + 1);
  for (let i = 0; i < pairs.length; i += 2) offsets[pairs[i]! + 1]!++;
  for (let c = 0; c < centroids; c++) offsets[c + 1]! += offsets[c]!;
  const ids = new Uint32Array(pairs.length / 2);
  const cursor = Float64Array.from(offsets.subarray(0, centroids));
  for (let i = 0; i < pairs.length; i += 2) ids[cursor[pairs[i]!]!++] = pairs[i + 1]!;
  return { offsets, ids };
}

/** Main lists followed, per centroid, by the delta's slots (all higher: appended documents come last). */
export function mergeLists(main: InvertedLists, delta: InvertedLists, centroids: number): InvertedLists {
  const offsets = new Float64Array(centroids + 1);
  for (let c = 0; c < centroids; c++) {
    offsets[c + 1] = offsets[c]! + (main.offsets[c + 1]! - main.offsets[c]!) + (delta.offsets[c + 1]! - delta.offsets[c]!);
  }
  const ids = new Uint32Array(offsets[centroids]!);
  for (let c = 0; c < centroids; c++) {
    const mainPart = main.ids.subarray(main.offsets[c]!, main.offsets[c + 1]!);
    ids.set(mainPart, offsets[c]!);
    ids.set(delta.ids.subarray(delta.offsets[c]!, delta.offsets[c + 1]!), offsets[c]! + mainPart.length);
  }
  return { offsets, ids };
}
