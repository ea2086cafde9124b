import { z } from 'zod';
import { SaegimError } from './errors.js';

/**
 * Runtime schemas of the service API's requests (api.ts holds the static types). Requests may arrive over
 * IPC or HTTP from a renderer we do not trust blindly, so every public method parses its input here.
 */
const method = z.enum(['mvr', 'bm25', 'svr', 'hybrid']);
const collection = z.string().min(1).max(200);
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
  batchSize: z.number().int().min(1).max(4096).optional(),
  rebuild: z.boolean().optional(),
});

export const SearchRequestSchema = z.object({
  collection,
  query: z.string().trim().min(1, 'the query is empty').max(2000),
  methods: z.array(method).min(1).optional(),
  k: k.optional(),
  skipPunctuation: z.boolean().optional(),
});

export const ExplainRequestSchema = z.object({
  collection,
  query: z.string().trim().min(1, 'the query is empty').max(2000),
  docId: z.string().min(1),
  skipPunctuation: z.boolean().optional(),
});

export const AblationRequestSchema = ExplainRequestSchema.extend({
  dropQueryTokens: z.array(z.number().int().min(0)).max(512),
});

export const EvaluateRequestSchema = z.object({
  collection,
  methods: z.array(method).min(1).optional(),
  k: k.optional(),
  split: z.string().min(1).optional(),
  baseline: method.optional(),
  skipPunctuation: z.boolean().optional(),
});

export const SettingsPatchSchema = z.object({
  modelDir: z.string().min(1).nullable().optional(),
  executionProvider: z.enum(['cpu', 'cuda']).optional(),
  threads: z.number().int().min(0).max(256).optional(),
  precision: z.enum(['fp16', 'fp32']).optional(),
});

export function parseRequest<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length > 0 ? ` field "${issue.path.join('.')}"` : '';
  throw new SaegimError('bad-input', `${what}:${field} ${issue.message}`);
}
