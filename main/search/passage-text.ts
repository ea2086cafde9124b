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
