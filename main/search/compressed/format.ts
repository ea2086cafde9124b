import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SaegimError } from '../../contract/errors.js';
import type { ProjectionKind } from './projection.js';
import type { ResidualBits } from './residual-codec.js';

/**
 * The on-disk layout of a compressed index: one directory of side files and a JSON manifest.
 *
 *   manifest.json      format, version, shape, counts, the CRC-32 of every small file — the commit point
 *   centroids.f32      K × dim float32
 *   buckets.f32        per-dimension residual cutoffs (dim × (2^b − 1)) then weights (dim × 2^b)
 *   projection.f32     inputDim × dim float32, only with a projection
 *   doclens.u32        kept tokens per document, append-only
 *   codes.u16          centroid of every token, documents back to back, append-only
 *   residuals.u8       ceil(dim·nbits/8) bytes per token, same order, append-only
 *   ivf-G.off          (K + 1) float64 offsets into ivf-G.ids, generation G
 *   ivf-G.ids          uint32 document slots per centroid, ascending, each document once per centroid
 *   ivf-delta.u32      (centroid, slot) pairs added by append() since generation G was written
 *   removed.u8         1 per removed slot (tombstones), written whole on every remove()
 *
 * Append-only files may be longer than the manifest says — the tail of an append that never committed — and
 * are read only up to the manifest's counts, then truncated by the next append. Everything else is written
 * to a temporary name and renamed, and the manifest is renamed last, so a crash at any point leaves the
 * previous index intact.
 */
export const FORMAT_NAME = 'saegim-compressed-multivector';
export const FORMAT_VERSION = 1;

export const FILES = {
  manifest: 'manifest.json',
  centroids: 'centroids.f32',
  buckets: 'buckets.f32',
  projection: 'projection.f32',
  doclens: 'doclens.u32',
  codes: 'codes.u16',
  residuals: 'residuals.u8',
  delta: 'ivf-delta.u32',
  removed: 'removed.u8',
} as const;

export function ivfFiles(generation: number): { offsets: string; ids: string } {
  return { offsets: `ivf-${generation}.off`, ids: `ivf-${generation}.ids` };
}

export interface Manifest {
  format: typeof FORMAT_NAME;
  version: number;
  /** Width of the stored (possibly projected) vectors. */
  dim: number;
  /** Width of the vectors callers pass in: documents to build and append, queries to search. */
  inputDim: number;
  projection: ProjectionKind | null;
  nbits: ResidualBits;
  centroids: number;
  /** The index was built from unit vectors: reconstructions are renormalised and k-means was spherical. */
  normalized: boolean;
  docs: number;
  tokens: number;
  /** Documents and tokens the centroids were trained with; the rest came through append(). */
  builtDocs: number;
  builtTokens: number;
  ivfGeneration: number;
  ivfEntries: number;
  deltaEntries: number;
  /** Mean ‖x − c(x)‖ over built tokens, and the running sum and count over appended ones (drift). */
  residualNorm: { built: number; appendedSum: number; appendedTokens: number };
  seed: number;
  kmeansIterations: number;
  sample: number;
  buildSeconds: number;
  /** CRC-32 of the files that are read whole at open. */
  crc: Record<string, number>;
}

export function fileCrc(data: ArrayBufferView): number {
  return crc32(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function corrupt(dir: string, file: string, why: string): SaegimError {
  return new SaegimError('bad-input', `compressed index ${join(dir, file)}: ${why}`);
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, FILES.manifest);
  if (!existsSync(path)) throw corrupt(dir, FILES.manifest, existsSync(dir) ? 'missing (not a compressed index, or its build never finished)' : 'no such index directory');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    throw corrupt(dir, FILES.manifest, `not valid JSON (${(err as Error).message})`);
  }
  if (manifest.format !== FORMAT_NAME) throw corrupt(dir, FILES.manifest, `format is ${JSON.stringify(manifest.format)}, expected ${FORMAT_NAME}`);
  if (manifest.version !== FORMAT_VERSION) {
    throw corrupt(dir, FILES.manifest, `format version ${manifest.version}; this Saegim reads version ${FORMAT_VERSION} (rebuild the index)`);
  }
  for (const key of ['dim', 'inputDim', 'centroids', 'docs', 'tokens', 'ivfEntries', 'deltaEntries'] as const) {
    if (!Number.isInteger(manifest[key]) || manifest[key] < 0) throw corrupt(dir, FILES.manifest, `field "${key}" is not a non-negative integer`);
  }
  if (![1, 2, 4].includes(manifest.nbits)) throw corrupt(dir, FILES.manifest, `field "nbits" is ${manifest.nbits}, expected 1, 2 or 4`);
  return manifest;
}

/** Size of `file` in bytes, or an error naming it when it is missing or shorter than `atLeast`. */
export function checkSize(dir: string, file: string, expected: number, exact: boolean): number {
  const path = join(dir, file);
  if (!existsSync(path)) throw corrupt(dir, file, 'missing');
  const size = statSync(path).size;
  if (exact ? size !== expected : size < expected) {
    throw corrupt(dir, file, `${size} bytes, expected ${exact ? '' : 'at least '}${expected} (truncated or overwritten: rebuild the index)`);
  }
  return size;
}

/** Reads the first `bytes` bytes of a side file whole, checked against its size and, if given, its CRC-32. */
export function readWhole(dir: string, file: string, bytes: number, exact: boolean, crc?: number): Uint8Array {
  checkSize(dir, file, bytes, exact);
  const out = new Uint8Array(new ArrayBuffer(bytes));
  const fd = openSync(join(dir, file), 'r');
  try {
    for (let done = 0; done < bytes; ) {
      const n = readSync(fd, out, done, bytes - done, done);
      if (n === 0) throw corrupt(dir, file, `ends after ${done} bytes`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  if (crc !== undefined && fileCrc(out) !== crc) throw corrupt(dir, file, 'checksum mismatch (corrupted: rebuild the index)');
  return out;
}

export function corruptFile(dir: string, file: string, why: string): SaegimError {
  return corrupt(dir, file, why);
}

/** Writes a file under a temporary name, flushes it and renames it into place. */
export function writeAtomic(path: string, data: ArrayBufferView | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeAtomic(join(dir, FILES.manifest), `${JSON.stringify(manifest, null, 1)}\n`);
}

/**
 * Sequential writer with a large buffer: the build writes hundreds of megabytes of codes and residuals
 * in pieces of a few kilobytes, and one write call per piece would dominate.
 */
export class BufferedFile {
  private readonly buffer: Uint8Array;
  private used = 0;
  private written = 0;
  readonly fd: number;

  constructor(
    readonly path: string,
    flags: 'w' | 'r+' = 'w',
    position = 0,
    bufferBytes = 4 << 20,
  ) {
    this.fd = openSync(path, flags);
    this.buffer = new Uint8Array(bufferBytes);
    this.written = position;
  }

  write(view: ArrayBufferView): void {
    let bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    while (bytes.byteLength > 0) {
      const n = Math.min(bytes.byteLength, this.buffer.byteLength - this.used);
      this.buffer.set(bytes.subarray(0, n), this.used);
      this.used += n;
      bytes = bytes.subarray(n);
      if (this.used === this.buffer.byteLength) this.flush();
    }
  }

  /** Bytes written so far (flushed or not), from the start of the file. */
  get position(): number {
    return this.written + this.used;
  }

  flush(): void {
    for (let done = 0; done < this.used; ) done += writeSync(this.fd, this.buffer, done, this.used - done, this.written + done);
    this.written += this.used;
    this.used = 0;
  }

  close(sync = true): void {
    this.flush();
    if (sync) fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

export function fileSize(fd: number): number {
  return fstatSync(fd).size;
}
