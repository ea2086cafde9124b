import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenEncoder } from '../encoders/onnx-encoder.js';
import { SaegimError } from '../contract/errors.js';
import { bundledDatasetDir, bundledModelDir } from '../paths.js';

export interface EncodeBenchOptions {
  model?: string;
  docs?: number;
  threads?: number;
}

/**
 * Encoding throughput on real Korean passages (the bundled demo corpus, repeated as needed), the way
 * indexing runs it: length-bucketed batches on the CPU provider.
 */
export async function benchEncode(opts: EncodeBenchOptions = {}): Promise<Record<string, number | string>> {
  const dir = opts.model ?? bundledModelDir();
  if (!existsSync(dir)) throw new SaegimError('model-missing', `no model at ${dir} (pass --model DIR)`);
  const corpus = join(bundledDatasetDir(), 'corpus.jsonl');
  const texts = existsSync(corpus)
    ? readFileSync(corpus, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const row = JSON.parse(line) as { title?: string; text: string };
          return row.title ? `${row.title}\n${row.text}` : row.text;
        })
    : ['서울은 대한민국의 수도이며 한강이 도시를 가로질러 흐른다.'];
  const n = opts.docs ?? 256;
  const batch = Array.from({ length: n }, (_, i) => texts[i % texts.length]!);
  const encoder = await TokenEncoder.load(dir, { threads: opts.threads });
  try {
    await encoder.encodeDocuments(batch.slice(0, Math.min(16, n)));
    const started = performance.now();
    const out = await encoder.encodeDocuments(batch);
    const seconds = (performance.now() - started) / 1000;
    const tokens = out.reduce((sum, e) => sum + e.vectors.length, 0);
    return {
      model: encoder.name,
      provider: encoder.executionProvider,
      passages: n,
      tokens,
      tokens_per_s: tokens / seconds,
      passages_per_s: n / seconds,
      seconds,
    };
  } finally {
    await encoder.close();
  }
}
