import { type Dirent, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';
import { countLines, firstInvalidUtf8 } from './utf8.js';

export { firstInvalidUtf8 } from './utf8.js';

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
