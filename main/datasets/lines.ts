import { createReadStream } from 'node:fs';
import { meterRead } from './read-context.js';
import { firstInvalidUtf8 } from './utf8.js';

export type NumberedLine = { line: number; text: string; invalid?: undefined } | { line: number; text?: undefined; invalid: string };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Lines of a text file with 1-based numbers, streamed so files of hundreds of MB never sit in memory whole.
 * Each line is decoded as strict UTF-8: a line that is not valid UTF-8 comes back as `invalid` (with the
 * byte where it breaks) instead of text with U+FFFD in it, so the reader can report file:line. A UTF-8 BOM
 * before the first line is dropped (Windows editors write one); `\r\n` endings are accepted.
 */
export async function* numberedLines(path: string): AsyncGenerator<NumberedLine> {
  const input = createReadStream(path);
  let line = 0;
  let carry: Buffer[] = [];
  const decode = (bytes: Buffer): NumberedLine => {
    line++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    let start = 0;
    if (line === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    const body = bytes.subarray(start, end);
    try {
      return { line, text: UTF8.decode(body) };
    } catch {
      const at = firstInvalidUtf8(body);
      return { line, invalid: `not valid UTF-8 text${at >= 0 ? ` (byte ${at + start + 1} of the line)` : ''}; save the file as UTF-8` };
    }
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      meterRead(chunk.length);
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
        const piece = chunk.subarray(from, nl);
        const bytes = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
        carry = [];
        yield decode(bytes);
        from = nl + 1;
      }
      if (from < chunk.length) carry.push(chunk.subarray(from));
    }
    if (carry.length > 0) yield decode(Buffer.concat(carry));
  } finally {
    // A reader that stops early (too many issues) must not leave the file open in a long-lived server.
    input.destroy();
  }
}
