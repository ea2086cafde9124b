import { SaegimError } from '../../contract/errors.js';
import { halvesToFloats } from '../../store/half.js';

/** One document as build and append take it: fp32 or raw fp16 halves, `nTokens × width`, row-major. */
export interface CompressedDocInput {
  vectors: Float32Array | Uint16Array;
  nTokens: number;
  /** `mask[j] = 0` leaves token j out of the index, as the exact index does with punctuation. */
  mask?: Uint8Array;
}

export type CompressedDocSource = AsyncIterable<CompressedDocInput> | Iterable<CompressedDocInput>;

/** The document's kept token rows as float32, `count × width`. */
export function keptRows(doc: CompressedDocInput, width: number, slot: number): { rows: Float32Array; count: number } {
  const { vectors, nTokens, mask } = doc;
  if (!Number.isInteger(nTokens) || nTokens < 0 || vectors.length !== nTokens * width) {
    throw new SaegimError('bad-input', `document ${slot}: ${vectors.length} values are not ${nTokens} tokens × ${width} dims`);
  }
  if (mask && mask.length < nTokens) throw new SaegimError('bad-input', `document ${slot}: mask has ${mask.length} entries for ${nTokens} tokens`);
  const floats = vectors instanceof Uint16Array ? halvesToFloats(vectors) : vectors;
  if (!mask) return { rows: floats, count: nTokens };
  let count = 0;
  for (let j = 0; j < nTokens; j++) if (mask[j] !== 0) count++;
  if (count === nTokens) return { rows: floats, count };
  const rows = new Float32Array(count * width);
  let r = 0;
  for (let j = 0; j < nTokens; j++) if (mask[j] !== 0) rows.set(floats.subarray(j * width, (j + 1) * width), r++ * width);
  return { rows, count };
}

/** Unit length within fp16 rounding: what the encoder's `normalize` produces. */
export function allUnitLength(rows: Float32Array, count: number, width: number): boolean {
  for (let r = 0; r < count; r++) {
    let norm = 0;
    for (let d = 0; d < width; d++) norm += rows[r * width + d]! * rows[r * width + d]!;
    if (Math.abs(norm - 1) > 1e-2) return false;
  }
  return true;
}

/**
 * Collects documents into batches of at least `rows` token rows, so that projection and centroid
 * assignment run as a few large matrix products instead of one small one per document.
 */
export class RowBatcher {
  private parts: Float32Array[] = [];
  private lengths: number[] = [];
  private pending = 0;

  constructor(
    private readonly width: number,
    readonly rows: number,
  ) {}

  push(rows: Float32Array, count: number): void {
    this.parts.push(rows.length === count * this.width ? rows : rows.subarray(0, count * this.width));
    this.lengths.push(count);
    this.pending += count;
  }

  get pendingRows(): number {
    return this.pending;
  }

  get pendingDocs(): number {
    return this.lengths.length;
  }

  get full(): boolean {
    return this.pending >= this.rows;
  }

  /** Everything collected so far as one `rows × width` array plus per-document lengths, then empties. */
  take(): { data: Float32Array; rows: number; lengths: number[] } {
    const data = new Float32Array(this.pending * this.width);
    let at = 0;
    for (const part of this.parts) {
      data.set(part, at);
      at += part.length;
    }
    const out = { data, rows: this.pending, lengths: this.lengths };
    this.parts = [];
    this.lengths = [];
    this.pending = 0;
    return out;
  }
}
