import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A folder of `.txt` files, searched recursively in sorted order: each file is one passage. */
export function readTxtFolder(dir: string, name: string, log: IssueLog): DatasetBuilder {
  const builder = new DatasetBuilder('txt', name, dir, log);
  for (const file of txtFiles(dir)) {
    const id = relative(dir, file).replace(/\\/g, '/').replace(/\.txt$/i, '');
    let text: string;
    try {
      text = UTF8.decode(readFileSync(file));
    } catch {
      log.report({ file, line: 0, reason: 'not valid UTF-8 text' });
      continue;
    }
    builder.addPassage(id, text, basename(file).replace(/\.txt$/i, ''), { file, line: 0 });
  }
  return builder;
}

export function txtFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...txtFiles(path));
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.txt')) out.push(path);
  }
  return out;
}
