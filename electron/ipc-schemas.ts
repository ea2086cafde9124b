import { z } from 'zod';
import { API_METHODS, isLongOperation, type ApiMethod, type WireError } from '../main/contract/wire.js';
import {
  AblationRequestSchema,
  EvaluateRequestSchema,
  ExplainRequestSchema,
  ImportRequestSchema,
  IndexRequestSchema,
  SearchRequestSchema,
  SettingsPatchSchema,
} from '../main/contract/schemas.js';

/**
 * The argument list each API method accepts from the renderer. The renderer is untrusted as far as the
 * main process is concerned (a compromised page must not get further than the API allows), so every IPC
 * argument is parsed here before it reaches the engine. Tuples reject extra arguments.
 */
const name = z.string().min(1).max(200);
const path = z.string().min(1).max(4096);

export const CALL_ARGUMENTS: Record<ApiMethod, z.ZodType<unknown[]>> = {
  info: z.tuple([]),
  listCollections: z.tuple([]),
  importDataset: z.tuple([ImportRequestSchema]),
  deleteCollection: z.tuple([name]),
  indexCollection: z.tuple([IndexRequestSchema]),
  search: z.tuple([SearchRequestSchema]),
  explain: z.tuple([ExplainRequestSchema]),
  ablate: z.tuple([AblationRequestSchema]),
  evaluate: z.tuple([EvaluateRequestSchema]),
  getSettings: z.tuple([]),
  updateSettings: z.tuple([SettingsPatchSchema]),
  validateModel: z.tuple([path]),
};

/** Job ids are chosen by the renderer (crypto.randomUUID) so that it can subscribe before the job starts. */
export const JobIdSchema = z.string().uuid();
export const PathKindSchema = z.enum(['file', 'folder']);

export type ParsedCall = { ok: true; method: ApiMethod; args: unknown[] } | { ok: false; error: WireError };

export function parseCall(method: unknown, args: unknown, opts: { longOnly?: boolean } = {}): ParsedCall {
  if (typeof method !== 'string' || !(API_METHODS as readonly string[]).includes(method)) {
    return { ok: false, error: { code: 'not-found', message: `unknown API method "${String(method)}"` } };
  }
  const m = method as ApiMethod;
  if (opts.longOnly && !isLongOperation(m)) {
    return { ok: false, error: { code: 'bad-input', message: `${m} is not a long operation` } };
  }
  const parsed = CALL_ARGUMENTS[m].safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, error: { code: 'bad-input', message: `${m}: invalid arguments${where}: ${issue.message}` } };
  }
  return { ok: true, method: m, args: parsed.data };
}
