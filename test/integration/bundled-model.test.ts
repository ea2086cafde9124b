import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenEncoder } from '../../main/encoders/onnx-encoder.js';
import { bundledModelDir } from '../../main/paths.js';

interface Reference {
  tolerance: number;
  texts: Array<{ text: string; ids: number[]; last_hidden_state: number[][] }>;
}

/**
 * The shipped model, run through the app's own tokenizer and onnxruntime path, must reproduce the vectors
 * torch produced at export time (reference.json), up to the L2 normalisation the app applies.
 */
describe('bundled encoder', () => {
  const dir = bundledModelDir();

  it('ships a complete model folder', () => {
    for (const f of ['model.onnx', 'tokenizer.json', 'encoder.json', 'MODEL_CARD.md', 'reference.json']) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it('matches the torch reference through the app encoder', async () => {
    const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference;
    const encoder = await TokenEncoder.load(dir);
    try {
      for (const ref of reference.texts) {
        const spans = await encoder.tokenize(ref.text, 'document');
        expect(spans.ids).toEqual(ref.ids);
        const out = await encoder.encodeDocuments([ref.text]);
        const kept = out[0]!;
        // The app drops [CLS]/[SEP]; its rows follow the reference rows in order, skipping those.
        let row = 0;
        for (let i = 0; i < ref.ids.length; i++) {
          if (row >= kept.vectors.length || kept.ids[row] !== ref.ids[i]) continue;
          const expected = ref.last_hidden_state[i]!;
          const norm = Math.hypot(...expected);
          const got = kept.vectors.data.subarray(row * kept.vectors.dim, (row + 1) * kept.vectors.dim);
          let worst = 0;
          for (let d = 0; d < expected.length; d++) worst = Math.max(worst, Math.abs(got[d]! - expected[d]! / norm));
          expect(worst).toBeLessThanOrEqual(reference.tolerance);
          row++;
        }
        expect(row).toBe(kept.vectors.length);
        expect(row).toBeGreaterThan(0);
      }
    } finally {
      await encoder.close();
    }
  });

  it('gives different words different vectors (no collapsed encoder)', async () => {
    const encoder = await TokenEncoder.load(dir);
    try {
      const [a, b] = await encoder.encodeDocuments(['서울은 대한민국의 수도이다.', '광합성은 빛으로 양분을 만든다.']);
      const dim = a!.vectors.dim;
      let total = 0;
      let pairs = 0;
      for (let i = 0; i < a!.vectors.length; i++) {
        for (let j = 0; j < b!.vectors.length; j++) {
          if (a!.ids[i] === b!.ids[j]) continue;
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += a!.vectors.data[i * dim + d]! * b!.vectors.data[j * dim + d]!;
          total += dot;
          pairs++;
        }
      }
      expect(pairs).toBeGreaterThan(10);
      expect(total / pairs).toBeLessThan(0.5);
    } finally {
      await encoder.close();
    }
  });
});
