import { z } from 'zod';
import { SaegimError } from './errors.js';
import { SEARCH_METHODS } from './types.js';

/**
 * Runtime schemas of the API's arguments (api.ts holds the static types, methods.ts the table that binds
 * them to methods). Requests arrive over IPC or HTTP from a page we do not trust blindly; every host
 * parses every argument with these before the engine sees it.
 */
const method = z.enum(SEARCH_METHODS);
const collection = z.string().min(1).max(200);
export const CollectionNameSchema = collection;
export const FolderPathSchema = z.string().min(1).max(4096);
const rank = z.number().int().min(1);
/** Which token-vector index ranks MVR: the exact scan, or the compressed one (built with `index: 'compressed'`). */
const tokenIndex = z.enum(['exact', 'compressed']);
const k = z.number().int().min(1).max(1000);

export const ImportRequestSchema = z.object({
  path: z.string().min(1),
  format: z.enum(['auto', 'squad', 'beir', 'jsonl', 'txt']).optional(),
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s/\\][^/\\]*$/, 'a collection name cannot start with a space or contain slashes')
    .optional(),
  skipBad: z.boolean().optional(),
});

export const IndexRequestSchema = z.object({
  collection,
  model: z.string().min(1).optional(),
  precision: z.enum(['fp16', 'fp32']).optional(),
  /** Passages committed per transaction. */
  batchSize: z.number().int().min(1).max(4096).optional(),
  /** Drop existing vectors first (needed to switch a collection to another model). */
  rebuild: z.boolean().optional(),
  /**
   * `compressed` also builds (or brings up to date) the compressed index over the collection's vectors;
   * with `rebuild` it is re-clustered from scratch.
   */
  index: tokenIndex.optional(),
  /**
   * Width reduction for the compressed index (with `index: 'compressed'`): `pca` fitted on the collection's
   * own vectors or a seeded `random` orthonormal map, to `dim` columns, stored with the index. Asking for
   * another one than the index has re-clusters it; leaving it out keeps whatever the index was built with.
   */
  projection: z
    .object({
      kind: z.enum(['pca', 'random']),
      dim: z.number().int().min(1).max(65536),
    })
    .optional(),
});

/**
 * `model` scores MaxSim as the collection's model says (its query skiplist and token weights, encoder.json);
 * `plain` sums every query token's best match with weight 1, the paper's Eq. 1 as written.
 */
const queryScoring = z.enum(['model', 'plain']);
/** `auto`: the model's recorded fusion (encoder.json "fusion"), reciprocal-rank fusion when it has none. */
const fusion = z.enum(['auto', 'rrf', 'wsum']);

export const SearchRequestSchema = z.object({
  collection,
  query: z.string().trim().min(1, 'the query is empty').max(2000),
  methods: z.array(method).min(1).optional(),
  k: k.optional(),
  /** Leave punctuation tokens out of the document side of MaxSim. */
  skipPunctuation: z.boolean().optional(),
  /**
   * Longest hit text returned, in characters (default 1,000); up to 100,000, the longest passage an import
   * accepts, returns every passage whole. explain() returns one passage's full text as `docText`.
   */
  snippetChars: z.number().int().min(0).max(100_000).optional(),
  /** Token index for MVR (default: compressed when the collection has one up to date, else exact). */
  index: tokenIndex.optional(),
  queryScoring: queryScoring.optional(),
  fusion: fusion.optional(),
});

export const ExplainRequestSchema = z.object({
  collection,
  query: z.string().trim().min(1, 'the query is empty').max(2000),
  docId: z.string().min(1).max(1000),
  skipPunctuation: z.boolean().optional(),
  /** The passage's MVR rank when the caller already holds it (from a search): spares a full scan. */
  rank: rank.nullable().optional(),
  queryScoring: queryScoring.optional(),
});

export const AblationRequestSchema = ExplainRequestSchema.extend({
  /** Query token positions to leave out of the sum. */
  dropQueryTokens: z.array(z.number().int().min(0)).max(512),
});

export const EvaluateRequestSchema = z.object({
  collection,
  methods: z.array(method).min(1).optional(),
  k: k.optional(),
  split: z.string().min(1).optional(),
  /** Compare every method against this one with a paired randomization test (default bm25). */
  baseline: method.optional(),
  skipPunctuation: z.boolean().optional(),
  /** Token index for MVR, as in search. */
  index: tokenIndex.optional(),
  queryScoring: queryScoring.optional(),
  fusion: fusion.optional(),
});

export const SettingsPatchSchema = z.object({
  modelDir: z.string().min(1).nullable().optional(),
  executionProvider: z.enum(['cpu', 'cuda']).optional(),
  threads: z.number().int().min(0).max(256).optional(),
  precision: z.enum(['fp16', 'fp32']).optional(),
  /** 0 keeps only the collection in use. */
  cacheBudgetMb: z.number().int().min(0).max(16 * 1024 * 1024).optional(),
});

export function parseRequest<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 ? ` field "${issue.path.join('.')}"` : '';
  throw new SaegimError('bad-input', `${what}:${field} ${issue.message}`);
}

export const EvaluationIdSchema = z.number().int().min(1);

export const ListEvaluationsSchema = z.object({ collection: collection.optional() });

export const ListQueriesSchema = z.object({
  collection,
  /** Only queries judged in this split. */
  split: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(100_000).optional(),
});
