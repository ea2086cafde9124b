import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { halvesToFloats, toHalf } from '../../store/half.js';
import { BufferedFile } from './format.js';

/**
 * The build's scratch copy of every (projected) token row as fp16. Documents arrive as a one-shot stream,
 * but centroids must be trained on a sample of the whole stream before any token can be encoded, so the
 * first pass writes the rows here and the second reads them back. fp16 halves the disk traffic, and its
 * rounding (2^-11 relative) is far below what 1–4-bit residuals keep.
 */
export class Spool {
  private readonly file: BufferedFile;
  private half = new Uint16Array(0);
  private readFd: number | null = null;
  rows = 0;

  constructor(
    readonly path: string,
    readonly dim: number,
  ) {
    this.file = new BufferedFile(path, 'w');
  }

  append(rows: Float32Array, count: number): void {
    const n = count * this.dim;
    if (this.half.length < n) this.half = new Uint16Array(n);
    floatsToHalvesInto(rows, n, this.half);
    this.file.write(this.half.subarray(0, n));
    this.rows += count;
  }

  /** Ends writing; rows can then be read back with `read`. */
  finish(): void {
    this.file.close(false);
    this.readFd = openSync(this.path, 'r');
  }

  /** Rows `[start, start + count)` as float32. */
  read(start: number, count: number): Float32Array {
    if (this.readFd === null) throw new Error('spool read before finish');
    const n = count * this.dim;
    if (this.half.length < n) this.half = new Uint16Array(n);
    const bytes = new Uint8Array(this.half.buffer, 0, n * 2);
    for (let done = 0; done < bytes.length; ) {
      const got = readSync(this.readFd, bytes, done, bytes.length - done, start * this.dim * 2 + done);
      if (got === 0) throw new Error(`spool ${this.path} ends early`);
      done += got;
    }
    return halvesToFloats(this.half.subarray(0, n));
  }

  remove(): void {
    if (this.readFd !== null) closeSync(this.readFd);
    this.readFd = null;
    rmSync(this.path, { force: true });
  }
}

/**
 * float32 → binary16 with round-to-nearest-even, inlined for the range unit vectors live in; anything
 * outside it (zeros, subnormal halves, overflow, NaN) takes half.ts's general path. About 3 ns a value
 * against 14 for a call per value.
 */
export function floatsToHalvesInto(src: Float32Array, n: number, out: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const x = bits[i]!;
    const e = (x >>> 23) & 0xff;
    if (e > 112 && e < 143) {
      const m = x & 0x7fffff;
      let h = ((x >>> 16) & 0x8000) | ((e - 112) << 10) | (m >>> 13);
      const rem = m & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++;
      out[i] = h;
    } else {
      out[i] = toHalf(src[i]!);
    }
  }
}
