import type { Passage } from '../contract/types.js';

/**
 * The text a passage is indexed and explained as: title, newline, body. Titles carry strong evidence
 * (KorQuAD paragraphs share their article's title) and the newline keeps offsets readable in the UI.
 */
export function indexedText(passage: Pick<Passage, 'title' | 'text'>): string {
  return passage.title ? `${passage.title}\n${passage.text}` : passage.text;
}

const PUNCTUATION = /^[\p{P}\p{S}\s]+$/u;

/** True for tokens that are only punctuation or symbols (`.`, `?`, `「`, `##.`), skippable on the document side. */
export function isPunctuationToken(token: string): boolean {
  const bare = token.startsWith('##') ? token.slice(2) : token;
  return bare.length > 0 && PUNCTUATION.test(bare);
}

/** Per-token keep mask for MaxSim: 0 drops a punctuation token from the document side. */
export function punctuationMask(text: string, offsets: ArrayLike<number>, count: number): Uint8Array {
  const mask = new Uint8Array(count).fill(1);
  for (let j = 0; j < count; j++) {
    const piece = text.slice(offsets[2 * j]!, offsets[2 * j + 1]!);
    if (isPunctuationToken(piece)) mask[j] = 0;
  }
  return mask;
}

/** Hit texts are cut to this many characters unless a search asks for another `snippetChars`. */
export const DEFAULT_SNIPPET_CHARS = 1000;

/**
 * At most `max` characters of `text`: the text itself when it fits, else its start and a closing `…`,
 * never splitting a surrogate pair. Search results carry these, so a response stays small whatever the
 * passages' length.
 */
export function snippet(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  if (max <= 0) return { text: '', truncated: true };
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return { text: `${text.slice(0, end)}…`, truncated: true };
}
