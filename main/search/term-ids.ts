/**
 * The analyzer of search/analyzer.ts, producing integer term ids from a growing dictionary instead of
 * term strings: what building postings for a million passages needs. `analyze` creates a string per
 * bigram and a Map lookup hashes it again, which was most of the time spent building postings; here a
 * bigram is a pair of code points looked up in an open-addressing table of numbers, and its string is
 * made once, when the term is first seen. The terms (and their order) are exactly `analyze`'s — the
 * equivalence is tested on real corpora and on random text — so postings built either way are the same.
 */

const enum Script {
  Break,
  Hangul,
  Ideographic,
  Word,
}

const IDEOGRAPHIC = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const WORD = /[\p{L}\p{N}\p{M}]/u;

/** Classes of code points outside ASCII and Hangul, found by regex once each. */
const scriptCache = new Map<number, Script>();

function scriptOf(c: number): Script {
  if ((c >= 0xac00 && c <= 0xd7a3) || (c >= 0x1100 && c <= 0x11ff) || (c >= 0xa960 && c <= 0xa97f) || (c >= 0xd7b0 && c <= 0xd7ff)) return Script.Hangul;
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ? Script.Word : Script.Break;
  let script = scriptCache.get(c);
  if (script === undefined) {
    const ch = String.fromCodePoint(c);
    script = IDEOGRAPHIC.test(ch) ? Script.Ideographic : WORD.test(ch) ? Script.Word : Script.Break;
    scriptCache.set(c, script);
  }
  return script;
}

const isAsciiDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** One more than the largest code point: a pair (a, b) is keyed a · SPAN + b + 1, and a single a as a · SPAN. */
const SPAN = 0x200000;

export class TermDictionary {
  /** Term strings by id. */
  readonly terms: string[] = [];
  private readonly words = new Map<string, number>();
  private keys = new Float64Array(1 << 16).fill(-1);
  private values = new Int32Array(1 << 16);
  private used = 0;

  get size(): number {
    return this.terms.length;
  }

  /** The id of the bigram (a, b), or of the single character a when b is -1. */
  private pairId(a: number, b: number): number {
    const key = a * SPAN + (b + 1);
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b);
    h ^= h >>> 15;
    const mask = this.keys.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i]!;
      if (k === key) return this.values[i]!;
      if (k === -1) {
        const id = this.terms.length;
        this.terms.push(b < 0 ? String.fromCodePoint(a) : String.fromCodePoint(a, b));
        this.keys[i] = key;
        this.values[i] = id;
        if (++this.used * 2 > this.keys.length) this.grow();
        return id;
      }
    }
  }

  private wordId(word: string): number {
    let id = this.words.get(word);
    if (id === undefined) {
      id = this.terms.length;
      this.terms.push(word);
      this.words.set(word, id);
    }
    return id;
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Float64Array(keys.length * 2).fill(-1);
    this.values = new Int32Array(keys.length * 2);
    const mask = this.keys.length - 1;
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j]!;
      if (key === -1) continue;
      const a = Math.floor(key / SPAN);
      const b = (key % SPAN) - 1;
      let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca6b);
      h ^= h >>> 15;
      let i = h & mask;
      while (this.keys[i] !== -1) i = (i + 1) & mask;
      this.keys[i] = key;
      this.values[i] = values[j]!;
    }
  }

  /**
   * Writes the term ids of `text` into `out` (grown when needed; the array in use is returned with the
   * count), in `analyze(text)` order.
   */
  analyze(text: string, out: Int32Array<ArrayBuffer>): { ids: Int32Array<ArrayBuffer>; count: number } {
    const s = text.normalize('NFKC').toLowerCase();
    const n = s.length;
    // A text of n code units has at most n terms: the ids fit without checks in the loop.
    let ids = out;
    if (ids.length < n + 1) ids = new Int32Array(Math.max(n + 1, ids.length * 2));
    let count = 0;
    let runScript = Script.Break;
    let runLength = 0;
    let runFirst = -1;
    let runLast = -1;
    let word = '';
    let previous = -1;
    for (let i = 0; i < n; ) {
      let c = s.charCodeAt(i);
      let width = 1;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
          width = 2;
        }
      }
      const script = c >= 0xac00 && c <= 0xd7a3 ? Script.Hangul : scriptOf(c);
      if (script === Script.Break && (c === 0x2e || c === 0x2c) && isAsciiDigit(previous) && i + 1 < n && isAsciiDigit(s.charCodeAt(i + 1)) && runScript === Script.Word) {
        if (c === 0x2e) word += '.';
      } else {
        if (script !== runScript) {
          // The end of a run: a one-character run is a term of its own; a word ends here too.
          if (runLength === 1) ids[count++] = this.pairId(runFirst, -1);
          runLength = 0;
          if (word) {
            ids[count++] = this.wordId(word);
            word = '';
          }
          runScript = Script.Break;
        }
        if (script !== Script.Break) {
          runScript = script;
          if (script === Script.Word) word += width === 1 ? s[i]! : s.slice(i, i + 2);
          else {
            if (runLength === 0) runFirst = c;
            else ids[count++] = this.pairId(runLast, c);
            runLast = c;
            runLength++;
          }
        }
      }
      previous = c;
      i += width;
    }
    if (runLength === 1) ids[count++] = this.pairId(runFirst, -1);
    if (word) ids[count++] = this.wordId(word);
    return { ids, count };
  }
}
