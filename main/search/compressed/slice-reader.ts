import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { corruptFile } from './format.js';

/**
 * Reads slices of one side file on demand — Node has no mmap, so this is the paging: the page cache keeps
 * hot slices in memory, the process keeps none. Adjacent slices (consecutive document slots) are fetched
 * with one read call.
 */
export class SliceReader {
  readonly fd: number;

  constructor(
    readonly dir: string,
    readonly file: string,
  ) {
    this.fd = openSync(join(dir, file), 'r');
  }

  /** Fills `target[offset, offset + bytes)` from file position `position`. */
  read(position: number, bytes: number, target: Uint8Array, offset: number): void {
    for (let done = 0; done < bytes; ) {
      const n = readSync(this.fd, target, offset + done, bytes - done, position + done);
      if (n === 0) throw corruptFile(this.dir, this.file, `ends before byte ${position + bytes}`);
      done += n;
    }
  }

  /**
   * Reads `count` slices, slice j = `lengths[j]` elements of `elementBytes` at element `starts[j]`, packed
   * back to back into `target` starting at byte 0 in the order given. Slices that follow each other in the
   * file are read together.
   */
  readMany(starts: Float64Array, lengths: Uint32Array, count: number, elementBytes: number, target: Uint8Array): void {
    let out = 0;
    for (let j = 0; j < count; ) {
      const position = starts[j]! * elementBytes;
      let bytes = lengths[j]! * elementBytes;
      let next = j + 1;
      while (next < count && starts[next]! * elementBytes === position + bytes) bytes += lengths[next++]! * elementBytes;
      if (bytes > 0) this.read(position, bytes, target, out);
      out += bytes;
      j = next;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
