import { existsSync } from 'node:fs';
import { Tokenizer } from '@anush008/tokenizers';
import { SaegimError } from '../contract/errors.js';
import type { TokenSpans } from '../contract/types.js';

/**
 * A Hugging Face `tokenizer.json` (WordPiece, BPE/byte-level as in Qwen2/Dream, Unigram) run by the Rust
 * `tokenizers` library, returning every token with its character span in the original text so any token
 * can be highlighted there.
 */
export class TextTokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly path: string,
    /** Largest token id the tokenizer can emit; the model's embedding table must have a row for it. */
    readonly maxTokenId: number,
  ) {}

  static load(path: string, maxLength: number): TextTokenizer {
    if (!existsSync(path)) throw new SaegimError('model-missing', `${path}: tokenizer.json is missing`);
    let tokenizer: Tokenizer;
    try {
      tokenizer = Tokenizer.fromFile(path);
    } catch (err) {
      throw new SaegimError('model-invalid', `${path}: not a Hugging Face tokenizer.json (${(err as Error).message})`);
    }
    tokenizer.disablePadding();
    tokenizer.setTruncation(maxLength);
    let maxTokenId = 0;
    for (const id of Object.values(tokenizer.getVocab(true))) if (id > maxTokenId) maxTokenId = id;
    return new TextTokenizer(tokenizer, path, maxTokenId);
  }

  tokenId(token: string): number | null {
    return this.tokenizer.tokenToId(token);
  }

  /**
   * Encodes `prefix + text`; offsets are returned relative to `text`, and tokens that lie wholly inside
   * the prefix get offsets [-1, -1] so callers can tell instruction tokens from content tokens. With
   * `strip`, surrounding whitespace is left out of what the tokenizer sees while offsets still index `text`.
   */
  async encode(text: string, opts: EncodeTextOptions = {}): Promise<TokenizedText> {
    const input = modelInput(text, opts);
    const encoding = await this.tokenizer.encode(input.full, null, { addSpecialTokens: opts.addSpecialTokens ?? true });
    return spansOf(text, input, encoding);
  }

  /**
   * `encode` for many texts in one call: the Rust library tokenizes them in parallel, without a promise
   * and a thread-pool task per text. Same output as `encode` text by text.
   */
  async encodeMany(texts: string[], opts: EncodeTextOptions = {}): Promise<TokenizedText[]> {
    if (texts.length === 0) return [];
    const inputs = texts.map((text) => modelInput(text, opts));
    const encodings = await this.tokenizer.encodeBatch(
      inputs.map((i) => i.full),
      { addSpecialTokens: opts.addSpecialTokens ?? true },
    );
    return encodings.map((encoding, k) => spansOf(texts[k]!, inputs[k]!, encoding));
  }
}

export interface EncodeTextOptions {
  prefix?: string;
  addSpecialTokens?: boolean;
  strip?: boolean;
}

/** What the tokenizer is given for `text`: prefix + body, and where the body starts inside `text`. */
function modelInput(text: string, opts: EncodeTextOptions): { full: string; prefix: string; lead: number } {
  const prefix = opts.prefix ?? '';
  const lead = opts.strip ? text.length - text.trimStart().length : 0;
  const body = opts.strip ? text.trim() : text;
  return { full: prefix + body, prefix, lead };
}

interface EncodingLike {
  getIds(): number[];
  getTokens(): string[];
  getSpecialTokensMask(): number[];
  getOffsets(): number[][];
}

function spansOf(text: string, input: { full: string; prefix: string; lead: number }, encoding: EncodingLike): TokenizedText {
  const { full, prefix, lead } = input;
  const ids = encoding.getIds();
  const raw = encoding.getTokens();
  const special = encoding.getSpecialTokensMask();
  const charOffsets = toUtf16Offsets(full, encoding.getOffsets());
  const tokens: string[] = [];
  const offsets: Array<[number, number]> = [];
  for (let i = 0; i < ids.length; i++) {
    const [start, end] = charOffsets[i]!;
    if (special[i] === 1 || end <= prefix.length) {
      offsets.push(special[i] === 1 ? [0, 0] : [-1, -1]);
      tokens.push(raw[i]!);
      continue;
    }
    const s = Math.max(start, prefix.length) - prefix.length + lead;
    const e = end - prefix.length + lead;
    offsets.push([s, e]);
    // Byte-level BPE token strings are unreadable (`ìĦľ`); the text they cover is what people want to see.
    tokens.push(e > s ? text.slice(s, e) : raw[i]!);
  }
  return { tokens, offsets, ids, special };
}

/** A tokenizer's output before the encoder adds markers or augmentation. */
export interface TokenizedText extends TokenSpans {
  /** 1 where the post-processor added the token ([CLS], [SEP], BOS…), aligned with `ids`. */
  special: number[];
}

/**
 * The Rust library reports offsets in Unicode scalar values; JavaScript strings index UTF-16 code units.
 * They differ only past the Basic Multilingual Plane (emoji, rare Hanja), so the map is built only then.
 */
function toUtf16Offsets(text: string, offsets: number[][]): Array<[number, number]> {
  let astral = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      astral = true;
      break;
    }
  }
  if (!astral) return offsets.map((o) => [o[0] ?? 0, o[1] ?? 0]);
  const unitAt: number[] = [];
  let unit = 0;
  for (const ch of text) {
    unitAt.push(unit);
    unit += ch.length;
  }
  unitAt.push(unit);
  return offsets.map((o) => [unitAt[o[0] ?? 0] ?? unit, unitAt[o[1] ?? 0] ?? unit]);
}
