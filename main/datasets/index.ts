import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { SaegimError } from '../contract/errors.js';
import type { DatasetFormat, ParsedDataset } from '../contract/types.js';
import { readBeir } from './beir.js';
import { DatasetBuilder } from './builder.js';
import { detectFormat } from './detect.js';
import { IssueLog } from './issues.js';
import { readPassagesJsonl } from './jsonl.js';
import { readSquad } from './squad.js';
import { readTxtFolder } from './txt.js';

export { detectFormat } from './detect.js';

export interface ReadOptions {
  /** `auto` (the default) detects the format from the path's shape. */
  format?: DatasetFormat | 'auto';
  /** Leave malformed records and duplicate ids out and list them in `skipped`, instead of failing. */
  skipBad?: boolean;
  /** Collection name to suggest; defaults to the folder name or the file name without `.json`/`.jsonl`. */
  name?: string;
}

/**
 * Reads and validates a dataset; writes nothing. Throws ImportError naming file:line, field and reason for
 * up to 50 bad records, SaegimError('not-found') for a missing path and SaegimError('bad-input') for a path
 * that is not a dataset.
 */
export async function readDataset(path: string, opts: ReadOptions = {}): Promise<ParsedDataset> {
  const source = resolve(path);
  const format = !opts.format || opts.format === 'auto' ? detectFormat(source) : opts.format;
  const isDir = statOrNotFound(source).isDirectory();
  if ((format === 'beir' || format === 'txt') !== isDir) {
    throw new SaegimError('bad-input', `${source}: format "${format}" expects ${isDir ? 'a file, not a folder' : 'a folder, not a file'}`);
  }
  const name = (opts.name ?? basename(source).replace(/\.jsonl?$/i, '')).normalize('NFC');
  const log = new IssueLog(opts.skipBad ?? false);
  try {
    return (await readFormat(format, source, name, log)).build();
  } catch (err) {
    throw asSaegimError(err);
  }
}

async function readFormat(format: DatasetFormat, source: string, name: string, log: IssueLog): Promise<DatasetBuilder> {
  switch (format) {
    case 'squad':
      return readSquad(source, name, log);
    case 'beir':
      return readBeir(source, name, log);
    case 'jsonl': {
      const builder = new DatasetBuilder('jsonl', name, source, log);
      await readPassagesJsonl(source, builder, log);
      return builder;
    }
    case 'txt':
      return readTxtFolder(source, name, log);
  }
}

function statOrNotFound(path: string) {
  try {
    return statSync(path);
  } catch {
    throw new SaegimError('not-found', `${path}: no such file or folder`);
  }
}

/** File-system failures mid-read (permissions, a folder where a file belongs) become errors the UI can show. */
function asSaegimError(err: unknown): unknown {
  if (err instanceof SaegimError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || !e.path) return err;
  if (e.code === 'ENOENT') return new SaegimError('not-found', `${e.path}: no such file or folder`);
  return new SaegimError('bad-input', `${e.path}: cannot be read (${e.code})`);
}
