import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SaegimError } from '../contract/errors.js';

/**
 * `encoder.json`: how to run a model folder. The folder holds `model.onnx` (+ external data),
 * `tokenizer.json` and this file.
 */
export const EncoderManifestSchema = z.object({
  name: z.string().min(1),
  /** `bert` feeds input_ids/attention_mask[/token_type_ids]; `decoder` adds position_ids (Qwen2/Dream/LLaDA). */
  architecture: z.enum(['bert', 'decoder']).default('bert'),
  inputs: z
    .object({
      inputIds: z.string().default('input_ids'),
      attentionMask: z.string().default('attention_mask'),
      tokenTypeIds: z.string().nullable().default(null),
      positionIds: z.string().nullable().default(null),
    })
    .default({ inputIds: 'input_ids', attentionMask: 'attention_mask', tokenTypeIds: null, positionIds: null }),
  /** Name of the `[batch, length, hidden]` output holding the last hidden layer. */
  output: z.string().default('last_hidden_state'),
  hiddenSize: z.number().int().positive(),
  maxLength: z.number().int().positive().default(512),
  queryPrefix: z.string().default(''),
  documentPrefix: z.string().default(''),
  /** L2-normalise every token vector so that dot products are cosines. */
  normalize: z.boolean().default(true),
  /**
   * Optional linear map applied after the model: `projection.json` style matrix `[hiddenSize, dim]`,
   * stored as a little-endian float32 file next to the model.
   */
  projection: z
    .object({ file: z.string(), dim: z.number().int().positive() })
    .nullable()
    .default(null),
  /** Token used to pad queries for query augmentation (ColBERT style); null disables it. */
  maskToken: z.string().nullable().default(null),
  /** Pad queries with mask tokens up to this many tokens (0 = no augmentation). */
  queryAugmentLength: z.number().int().nonnegative().default(0),
  padTokenId: z.number().int().nonnegative().default(0),
  /** Whether the tokenizer's post-processor should add special tokens ([CLS]/[SEP], BOS…). */
  addSpecialTokens: z.boolean().default(true),
  /** Special tokens whose vectors are dropped before scoring (e.g. [CLS], [SEP], <|endoftext|>). */
  dropTokens: z.array(z.string()).default([]),
  /**
   * Marker tokens put into every query / passage, as ColBERT's `[Q]` and `[D]`: the model was trained
   * with them, so they change every other token's vector, and their own vectors take part in MaxSim.
   */
  queryMarker: z.string().nullable().default(null),
  documentMarker: z.string().nullable().default(null),
  /** Index in the tokenizer's output where the marker goes; 1 is right after [CLS], as ColBERT and PyLate do. */
  markerPosition: z.number().int().nonnegative().default(1),
  /** Queries are truncated to this many tokens, marker and special tokens included (ColBERT's query_maxlen); null: maxLength. */
  queryMaxLength: z.number().int().positive().nullable().default(null),
  /**
   * Whether the query's tokens attend to the augmentation tokens. ColBERT's default (attend_to_mask_tokens
   * false) hides them from the rest of the query while they still attend to it and keep their vectors.
   */
  queryAugmentAttended: z.boolean().default(true),
  /** Tokens fed to the model but whose vectors passages do not keep (ColBERT's punctuation skiplist). */
  documentSkiplist: z.array(z.string()).default([]),
  /** Strip leading and trailing whitespace before tokenizing, as sentence-transformers (and so PyLate) does. */
  stripText: z.boolean().default(false),
  /**
   * Query tokens fed to the model but left out of the query side of MaxSim (weight 0): Korean particles,
   * endings and punctuation that otherwise win matches on form alone. Shown, discounted, in the alignment.
   */
  querySkiplist: z.array(z.string()).default([]),
  scoring: z
    .object({
      /** A `[batch, length]` output in [0, 1]: query token i contributes w_i · max_j q_i·d_j. */
      queryTokenWeights: z.string().nullable().default(null),
      /** Averaging each word's piece vectors before MaxSim; measured and not kept, so not run by this engine. */
      eojeolPooling: z.literal(false, { message: 'eojeol pooling is not supported by this engine (set it to false)' }).default(false),
    })
    .default({ queryTokenWeights: null, eojeolPooling: false }),
  /** A `[batch, pooledDim]` output trained as one vector per text: what SVR ranks with, instead of the mean of token vectors. */
  pooledOutput: z.string().nullable().default(null),
  pooledDim: z.number().int().positive().nullable().default(null),
  /** How `hybrid` fuses MVR and BM25 by default for this model, with the weight chosen on training data. */
  fusion: z
    .object({
      method: z.enum(['wsum', 'rrf']),
      norm: z.literal('min-max').default('min-max'),
      depth: z.number().int().positive().default(100),
      weights: z
        .object({ mvr: z.number().min(0).max(1), bm25: z.number().min(0).max(1) })
        .default({ mvr: 0.5, bm25: 0.5 }),
      /** The MaxSim rule the weight was chosen for (e.g. "skiplist"). */
      mvrScoring: z.string().optional(),
      /** Which data the weight was chosen on. */
      chosenOn: z.string().optional(),
    })
    .nullable()
    .default(null),
}).superRefine((m, ctx) => {
  if (m.pooledOutput !== null && m.pooledDim === null) {
    ctx.addIssue({ code: 'custom', path: ['pooledDim'], message: 'is required with pooledOutput' });
  }
  const queryLimit = m.queryMaxLength ?? m.maxLength;
  // Only with an explicit queryMaxLength: older manifests may pad queries past maxLength, and still load.
  if (m.queryMaxLength !== null && m.queryAugmentLength > m.queryMaxLength) {
    ctx.addIssue({ code: 'custom', path: ['queryAugmentLength'], message: `${m.queryAugmentLength} exceeds the query length limit ${m.queryMaxLength}` });
  }
  if (m.queryMarker !== null && queryLimit < 2) {
    ctx.addIssue({ code: 'custom', path: ['queryMaxLength'], message: 'a query marker needs room for at least one more token' });
  }
  if (m.documentMarker !== null && m.maxLength < 2) {
    ctx.addIssue({ code: 'custom', path: ['maxLength'], message: 'a document marker needs room for at least one more token' });
  }
});

export type EncoderManifest = z.infer<typeof EncoderManifestSchema>;

export const MODEL_FILES = {
  model: 'model.onnx',
  tokenizer: 'tokenizer.json',
  manifest: 'encoder.json',
} as const;

/** Width of the vectors the store keeps: the projection's when there is one. */
export function outputDim(manifest: EncoderManifest): number {
  return manifest.projection?.dim ?? manifest.hiddenSize;
}

export function readManifest(dir: string): EncoderManifest {
  const folder = resolve(dir);
  for (const file of Object.values(MODEL_FILES)) {
    if (!existsSync(join(folder, file))) {
      throw new SaegimError('model-missing', `${join(folder, file)}: missing (a model folder needs ${Object.values(MODEL_FILES).join(', ')})`);
    }
  }
  const path = join(folder, MODEL_FILES.manifest);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SaegimError('model-invalid', `${path}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = EncoderManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SaegimError('model-invalid', `${path}: field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  const manifest = parsed.data;
  if (manifest.projection && !existsSync(join(folder, manifest.projection.file))) {
    throw new SaegimError('model-missing', `${join(folder, manifest.projection.file)}: projection file named in encoder.json is missing`);
  }
  return manifest;
}
