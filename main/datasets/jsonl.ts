import type { z } from 'zod';
import type { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';
import { jsonSyntaxError } from './json-errors.js';
import { numberedLines } from './lines.js';
import { PassageRecordSchema, QueryRecordSchema, describeZodError } from './records.js';

/** Valid records of a JSONL file with their line numbers; blank lines are skipped, bad ones reported. */
async function* validRecords<T>(path: string, schema: z.ZodType<T>, log: IssueLog): AsyncGenerator<{ line: number; record: T }> {
  for await (const entry of numberedLines(path)) {
    const { line } = entry;
    if (entry.invalid !== undefined) {
      log.report({ file: path, line, reason: entry.invalid });
      continue;
    }
    const text = entry.text;
    if (text.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      const error = jsonSyntaxError(text);
      log.report({ file: path, line, reason: `not valid JSON at column ${error.offset + 1}: ${error.expected}` });
      continue;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) yield { line, record: parsed.data };
    else log.report({ file: path, line, ...describeZodError(parsed.error) });
  }
}

/** Passages from JSONL: one `{"id" | "_id", "text", "title"?}` per line (BEIR's corpus.jsonl included). */
export async function readPassagesJsonl(path: string, builder: DatasetBuilder, log: IssueLog): Promise<void> {
  for await (const { line, record } of validRecords(path, PassageRecordSchema, log)) {
    builder.addPassage((record._id ?? record.id)!, record.text, record.title, { file: path, line });
  }
}

/** Queries from JSONL: one `{"_id" | "id", "text"}` per line (BEIR's queries.jsonl). */
export async function readQueriesJsonl(path: string, builder: DatasetBuilder, log: IssueLog): Promise<void> {
  for await (const { line, record } of validRecords(path, QueryRecordSchema, log)) {
    builder.addQuery((record._id ?? record.id)!, record.text, { file: path, line });
  }
}
