import { z } from 'zod';

/**
 * Ids arrive as strings or numbers (some BEIR exports write numeric ids); both become strings. An integer
 * beyond 2^53 has already lost digits in JSON.parse, so it is refused rather than stored under a wrong id.
 */
export const IdSchema = z
  .union([z.string(), z.number()], { error: (iss) => (iss.input === undefined ? 'id is missing' : 'id must be a string or a number') })
  .refine((v) => typeof v === 'string' || !Number.isInteger(v) || Number.isSafeInteger(v), 'number too large to keep exactly; write the id as a string')
  .transform((v) => cleanText(String(v)).trim())
  .refine((v) => v.length > 0, 'id is empty');

/** A string field whose absence and whose wrong type read differently in the report. */
function textField(name: string) {
  return z.string({ error: (iss) => (iss.input === undefined ? `missing "${name}"` : `${name} must be a string`) });
}

const TitleSchema = z.string({ error: 'title must be a string' }).nullish();

/** A passage line of plain JSONL or BEIR's corpus.jsonl; other fields (`metadata`, …) are allowed and dropped. */
export const PassageRecordSchema = z
  .object({ id: IdSchema.optional(), _id: IdSchema.optional(), title: TitleSchema, text: textField('text') }, { error: 'a record must be a JSON object' })
  .refine((r) => r.id !== undefined || r._id !== undefined, { message: 'missing "id" (or "_id")', path: ['id'] });

export const QueryRecordSchema = z
  .object(
    { id: IdSchema.optional(), _id: IdSchema.optional(), text: textField('text').refine((t) => t.trim().length > 0, 'query text is empty') },
    { error: 'a record must be a JSON object' },
  )
  .refine((r) => r.id !== undefined || r._id !== undefined, { message: 'missing "_id"', path: ['_id'] });

/** KorQuAD/SQuAD `data[]` element; answers and other fields are ignored. */
export const ArticleSchema = z.object(
  { title: TitleSchema, paragraphs: z.array(z.unknown(), { error: (iss) => (iss.input === undefined ? 'missing "paragraphs"' : 'paragraphs must be an array') }) },
  { error: 'an article must be a JSON object' },
);

export const ParagraphSchema = z.object(
  { context: textField('context'), qas: z.array(z.unknown(), { error: 'qas must be an array' }).optional() },
  { error: 'a paragraph must be a JSON object' },
);

export const QuestionSchema = z.object(
  { id: IdSchema, question: textField('question').refine((t) => t.trim().length > 0, 'question is empty') },
  { error: 'a question must be a JSON object' },
);

/** The first zod issue as an ImportIssue's `field` (a JSON path such as `qas[0].id`) and `reason`. */
export function describeZodError(error: z.ZodError, prefix = ''): { field?: string; reason: string } {
  const issue = error.issues[0]!;
  const field = jsonPath(issue.path, prefix);
  return field ? { field, reason: issue.message } : { reason: issue.message };
}

/** `['data', 3, 'paragraphs', 0, 'context']` → `data[3].paragraphs[0].context`. */
export function jsonPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}

/** Korean text sometimes arrives decomposed (NFD jamo); NFC keeps tokenization, offsets and id matching consistent. */
export function cleanText(text: string): string {
  return text.replace(/^\uFEFF/, '').normalize('NFC');
}
