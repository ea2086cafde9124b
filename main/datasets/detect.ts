import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { visit } from 'jsonc-parser';
import { SaegimError } from '../contract/errors.js';
import type { DatasetFormat } from '../contract/types.js';
import { containsTxt } from './txt.js';

/** Enough of a KorQuAD/SQuAD file to reach its first `paragraphs` key (titles and versions come before it). */
const SQUAD_SNIFF_BYTES = 1 << 20;

const EXPECTED = 'a KorQuAD/SQuAD .json file, a .jsonl file, a BEIR/MTEB folder with corpus.jsonl, or a folder of .txt files';

/** Recognises a dataset by its shape, not its name, and says what it expected when it cannot. */
export function detectFormat(path: string): DatasetFormat {
  if (!existsSync(path)) throw new SaegimError('not-found', `${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'corpus.jsonl'))) return 'beir';
    if (containsTxt(path)) return 'txt';
    throw new SaegimError('bad-input', `${path}: this folder holds neither corpus.jsonl nor .txt files; expected ${EXPECTED}`);
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl') return 'jsonl';
  if (ext === '.json') {
    if (hasSquadShape(readHead(path, SQUAD_SNIFF_BYTES))) return 'squad';
    throw new SaegimError('bad-input', `${path}: no top-level "data" array of articles with "paragraphs"; expected ${EXPECTED}`);
  }
  throw new SaegimError('bad-input', `${path}: unknown dataset format; expected ${EXPECTED}`);
}

/**
 * Whether the JSON text (possibly cut short) has a `paragraphs` key directly inside an element of the
 * top-level `data` array. A syntax tree of the head would do too, but the visitor needs no complete document.
 */
export function hasSquadShape(head: string): boolean {
  let found = false;
  visit(head.replace(/^\uFEFF/, ''), {
    onObjectProperty(property, _offset, _length, _line, _column, pathSupplier) {
      if (found || property !== 'paragraphs') return;
      const path = pathSupplier();
      if (path.length === 2 && path[0] === 'data' && typeof path[1] === 'number') found = true;
    },
  });
  return found;
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
