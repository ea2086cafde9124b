import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** Lines of a text file with 1-based numbers, streamed so files of hundreds of MB stay out of memory. */
export async function* numberedLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  const reader = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of reader) {
    line++;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    yield { line, text };
  }
}
