import { z } from 'zod';

/** Ids arrive as strings or numbers (some BEIR exports write numeric ids); both become strings. */
export const IdSchema = z
  .union([z.string(), z.number().int()])
  .transform((v) => String(v).trim())
  .refine((v) => v.length > 0, 'id is empty');

export const PassageRecordSchema = z
  .object({
    id: IdSchema.optional(),
    _id: IdSchema.optional(),
    title: z.string().nullish(),
    text: z.string({ message: 'text must be a string' }),
  })
  .refine((r) => r.id !== undefined || r._id !== undefined, { message: 'missing "id" (or "_id")', path: ['id'] });

export const QueryRecordSchema = z.object({
  _id: IdSchema,
  text: z.string({ message: 'text must be a string' }).refine((t) => t.trim().length > 0, 'query text is empty'),
});

/** First zod issue as `field`, `reason` for an ImportIssue. */
export function describeZodError(error: z.ZodError): { field?: string; reason: string } {
  const issue = error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : undefined;
  return { field, reason: issue.message };
}

/** Korean text sometimes arrives decomposed (NFD jamo); NFC keeps tokenization and offsets consistent. */
export function cleanText(text: string): string {
  return text.replace(/^\uFEFF/, '').normalize('NFC');
}
