import { readFileSync } from 'node:fs';
import { type JSONPath, type Node, findNodeAtLocation, getLocation, parseTree } from 'jsonc-parser';
import { z } from 'zod';
import type { SourceLocation } from '../contract/types.js';
import { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';
import { jsonSyntaxError } from './json-errors.js';
import { ArticleSchema, ParagraphSchema, QuestionSchema, cleanText, jsonPath } from './records.js';
import { countLines, firstInvalidUtf8 } from './utf8.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const DocumentSchema = z.object({ data: z.array(z.unknown()) });

/**
 * KorQuAD 1.0 / SQuAD JSON. `data[].paragraphs[].context` are passages, `qas[]` are queries, and the
 * paragraph a question belongs to is its one relevant passage (relevance 1, split `test`); answers are
 * ignored. Identical contexts (compared after NFC and trimming) are merged into the first one, which keeps
 * its own article's title; the merge is counted.
 *
 * Passage ids are `p` + the 1-based order in which each distinct context first appears, zero-padded to
 * at least four digits and to the digit count of the file's paragraph total (`p0001`…`p0964` for KorQuAD
 * dev, `p00001`… for SQuAD train), so one file always yields the same ids and they sort in file order.
 *
 * The file is one JSON document: JSON.parse reads it, and only when something is wrong is it parsed again
 * into a jsonc-parser syntax tree, whose node offsets give the 1-based line of the bad record.
 */
export function readSquad(path: string, name: string, log: IssueLog): DatasetBuilder {
  const builder = new DatasetBuilder('squad', name, path, log);
  const bytes = readFileSync(path);
  let decoded: string;
  try {
    decoded = UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    log.fatal({ file: path, line: at < 0 ? 0 : countLines(bytes, at), reason: `not valid UTF-8 text${at < 0 ? '' : ` (byte ${at + 1})`}; save the file as UTF-8` });
  }
  const text = cleanText(decoded);
  const where = new JsonLocator(path, text);
  if (text.trim() === '') log.fatal({ file: path, line: 1, reason: 'the file is empty' });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    log.fatal(where.syntaxError());
  }
  const top = DocumentSchema.safeParse(doc);
  if (!top.success) log.fatal({ ...where.at(['data']), reason: 'a KorQuAD/SQuAD file needs a top-level "data" array of articles' });

  const report = (base: JSONPath, error: z.ZodError) => {
    const issue = error.issues[0]!;
    log.report({ ...where.at([...base, ...(issue.path as JSONPath)]), reason: issue.message });
  };

  const articles: Array<{ a: number; title: string | null | undefined; paragraphs: unknown[] }> = [];
  let paragraphTotal = 0;
  top.data!.data.forEach((raw, a) => {
    const article = ArticleSchema.safeParse(raw);
    if (!article.success) return report(['data', a], article.error);
    articles.push({ a, title: article.data.title, paragraphs: article.data.paragraphs });
    paragraphTotal += article.data.paragraphs.length;
  });
  const width = Math.max(4, String(paragraphTotal).length);

  const byContext = new Map<string, string>();
  for (const { a, title, paragraphs } of articles) {
    paragraphs.forEach((raw, p) => {
      const base: JSONPath = ['data', a, 'paragraphs', p];
      const paragraph = ParagraphSchema.safeParse(raw);
      if (!paragraph.success) return report(base, paragraph.error);
      const context = cleanText(paragraph.data.context).trim();
      let passageId: string | undefined;
      if (context === '') builder.countEmptyPassage();
      else if ((passageId = byContext.get(context)) !== undefined) builder.countMergedPassage();
      else {
        passageId = `p${String(byContext.size + 1).padStart(width, '0')}`;
        byContext.set(context, passageId);
        builder.addPassage(passageId, context, title, () => where.at([...base, 'context']));
      }
      (paragraph.data.qas ?? []).forEach((rawQuestion, q) => {
        const qPath: JSONPath = [...base, 'qas', q];
        const question = QuestionSchema.safeParse(rawQuestion);
        if (!question.success) return report(qPath, question.error);
        const { id, question: questionText } = question.data;
        const added = builder.addQuery(id, questionText, () => where.at([...qPath, 'id']));
        // A duplicate id keeps its first paragraph; judging it against this one too would merge two questions.
        if (added && passageId !== undefined) builder.addQrel({ queryId: id, docId: passageId, relevance: 1, split: 'test' });
      });
    });
  }
  return builder;
}

/** Turns JSON paths into file lines, building the syntax tree only the first time a location is needed. */
class JsonLocator {
  private root: Node | undefined;
  private lineStarts: number[] | undefined;

  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {}

  /** The value at `path`; a field that is absent is placed at the start of the object that lacks it. */
  at(path: JSONPath): SourceLocation {
    this.root ??= parseTree(this.text, [], { disallowComments: true });
    let node: Node | undefined;
    for (let n = path.length; n >= 0 && !node && this.root; n--) node = findNodeAtLocation(this.root, path.slice(0, n));
    const field = jsonPath(path);
    return { file: this.file, line: node ? this.lineOf(node.offset) : 1, ...(field ? { field } : {}) };
  }

  /** Line, column and what was expected; never the text, which JSON.parse's message would quote. */
  syntaxError(): SourceLocation & { reason: string } {
    const { offset, expected } = jsonSyntaxError(this.text);
    const path = getLocation(this.text, offset).path.filter((key) => key !== '');
    const field = jsonPath(path);
    const line = this.lineOf(offset);
    const column = offset - this.lineStarts![line - 1]! + 1;
    return { file: this.file, line, ...(field ? { field } : {}), reason: `not valid JSON at column ${column}: ${expected}` };
  }

  private lineOf(offset: number): number {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}
