import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Lines of a text file with 1-based numbers, streamed so files of hundreds of MB never sit in memory whole.
 * A UTF-8 BOM before the first line is dropped (Windows editors write one).
 */
export async function* numberedLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const reader = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of reader) {
      line++;
      yield { line, text: line === 1 ? raw.replace(/^\uFEFF/, '') : raw };
    }
  } finally {
    // A reader that stops early (too many issues) must not leave the file open in a long-lived server.
    reader.close();
    input.destroy();
  }
}
