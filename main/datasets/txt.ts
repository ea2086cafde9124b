import { type Dirent, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A folder of `.txt` files, searched recursively in sorted order: each file is one passage whose id is its
 * path relative to the folder without `.txt` (`/`-separated on every platform) and whose title is its stem.
 */
export function readTxtFolder(dir: string, name: string, log: IssueLog): DatasetBuilder {
  const builder = new DatasetBuilder('txt', name, dir, log);
  for (const file of txtFiles(dir)) {
    const bytes = readFileSync(file);
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      const at = firstInvalidUtf8(bytes);
      const line = at < 0 ? 0 : countLines(bytes, at);
      log.report({ file, line, reason: at < 0 ? 'not valid UTF-8 text' : `not valid UTF-8 text (byte ${at})` });
      continue;
    }
    const id = relative(dir, file).split(/[\\/]/).join('/').replace(/\.txt$/i, '');
    builder.addPassage(id, text, id.slice(id.lastIndexOf('/') + 1), { file, line: 0 });
  }
  return builder;
}

/** Code-unit order, not locale order, so ids come out the same on every machine. */
const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Visible `.txt` files under `dir`; hidden files and folders (`.git`, `.DS_Store`) and symlinks are skipped. */
export function txtFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort(byName)) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...txtFiles(path));
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.txt')) out.push(path);
  }
  return out;
}

/** Whether any visible `.txt` file lies under `dir`; stops at the first, for format detection. */
export function containsTxt(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.txt')) return true;
    if (entry.isDirectory() && containsTxt(join(dir, entry.name))) return true;
  }
  return false;
}

/**
 * Offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF), or -1. TextDecoder says only that a file is bad; the user needs to know where.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number, lo = 0x80, hi = 0xbf;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

function countLines(bytes: Uint8Array, end: number): number {
  let line = 1;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
