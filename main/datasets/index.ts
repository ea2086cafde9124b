import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { SaegimError } from '../errors.js';
import type { DatasetFormat, ParsedDataset } from '../types.js';
import { readBeir } from './beir.js';
import { DatasetBuilder } from './builder.js';
import { IssueLog } from './issues.js';
import { readPassagesJsonl } from './jsonl.js';
import { readSquad } from './squad.js';
import { readTxtFolder, txtFiles } from './txt.js';

export interface ReadOptions {
  format?: DatasetFormat | 'auto';
  skipBad?: boolean;
  name?: string;
}

/** Recognises a dataset by its shape, not its name, and says what it expected when it cannot. */
export function detectFormat(path: string): DatasetFormat {
  if (!existsSync(path)) throw new SaegimError('not-found', `${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'corpus.jsonl'))) return 'beir';
    if (txtFiles(path).length > 0) return 'txt';
    throw new SaegimError('bad-input', `${path}: a folder must hold corpus.jsonl (BEIR/MTEB) or .txt files`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl') return 'jsonl';
  if (ext === '.json') {
    const head = readHead(path, 64 * 1024);
    if (/"data"\s*:\s*\[/.test(head) && /"paragraphs"|"title"/.test(head)) return 'squad';
    throw new SaegimError('bad-input', `${path}: a .json dataset must be KorQuAD/SQuAD (a top-level "data" array of articles with "paragraphs")`);
  }
  throw new SaegimError('bad-input', `${path}: unknown dataset format (expected a KorQuAD/SQuAD .json, a .jsonl file, a BEIR folder or a folder of .txt)`);
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a dataset; writes nothing. Throws ImportError naming file:line for bad records. */
export async function readDataset(path: string, opts: ReadOptions = {}): Promise<ParsedDataset> {
  const source = resolve(path);
  if (!existsSync(source)) throw new SaegimError('not-found', `${source}: no such file or folder`);
  const format = !opts.format || opts.format === 'auto' ? detectFormat(source) : opts.format;
  const name = opts.name ?? basename(source).replace(/\.(jsonl|json)$/i, '');
  const isDir = statSync(source).isDirectory();
  if ((format === 'beir' || format === 'txt') !== isDir) {
    throw new SaegimError('bad-input', `${source}: format "${format}" expects ${isDir ? 'a file' : 'a folder'}`);
  }
  const log = new IssueLog(opts.skipBad ?? false);
  let builder: DatasetBuilder;
  switch (format) {
    case 'squad':
      builder = readSquad(source, name, log);
      break;
    case 'beir':
      builder = await readBeir(source, name, log);
      break;
    case 'jsonl':
      builder = new DatasetBuilder('jsonl', name, source, log);
      await readPassagesJsonl(source, builder, log);
      break;
    case 'txt':
      builder = readTxtFolder(source, name, log);
      break;
  }
  return builder.build();
}
