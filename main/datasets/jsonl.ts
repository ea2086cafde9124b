import { numberedLines } from './lines.js';
import type { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';
import { PassageRecordSchema, describeZodError } from './records.js';

/** Passages from JSONL: one `{"id" | "_id", "text", "title"?}` per line (BEIR's corpus.jsonl included). */
export async function readPassagesJsonl(path: string, builder: DatasetBuilder, log: IssueLog): Promise<void> {
  for await (const { line, text } of numberedLines(path)) {
    if (text.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      log.report({ file: path, line, reason: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    const parsed = PassageRecordSchema.safeParse(raw);
    if (!parsed.success) {
      log.report({ file: path, line, ...describeZodError(parsed.error) });
      continue;
    }
    const r = parsed.data;
    builder.addPassage((r._id ?? r.id)!, r.text, r.title, { file: path, line });
  }
}
