import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedDataset, Passage } from '../contract/types.js';
import type { RecordLocation } from './builder.js';
import { readDataset, type ReadOptions } from './index.js';
import { readContext, type ReadContext } from './read-context.js';
import { txtFiles } from './txt.js';

/**
 * Reads a dataset like `readDataset`, with every check and message the same, but hands each accepted
 * passage to `onPassage` as it is read instead of keeping it: the result's `passages` is empty. What the
 * readers still hold is one id per passage (duplicates and qrels need them), the queries and the qrels.
 * `bytesRead` counts the bytes the line reader has consumed (JSONL and BEIR files), for progress.
 */
export async function streamDataset(
  path: string,
  opts: ReadOptions,
  onPassage: (passage: Passage, at: RecordLocation, bytesRead: number) => void,
): Promise<ParsedDataset> {
  const context: ReadContext = { bytesRead: 0, onPassage: (passage, at) => onPassage(passage, at, context.bytesRead) };
  return readContext.run(context, () => readDataset(path, opts));
}

/** Bytes of the files a dataset's readers will go through: the total of a reading progress bar. */
export function datasetBytes(path: string): number {
  try {
    const stat = statSync(path);
    if (!stat.isDirectory()) return stat.size;
    let total = 0;
    const add = (file: string) => {
      if (existsSync(file)) total += statSync(file).size;
    };
    add(join(path, 'corpus.jsonl'));
    add(join(path, 'queries.jsonl'));
    const qrels = join(path, 'qrels');
    if (existsSync(qrels) && statSync(qrels).isDirectory()) for (const f of readdirSync(qrels)) if (f.endsWith('.tsv')) add(join(qrels, f));
    if (total === 0) for (const f of txtFiles(path)) add(f);
    return total;
  } catch {
    return 0;
  }
}
