import { readFileSync } from 'node:fs';
import { type Node, type ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { DatasetBuilder } from './builder.js';
import type { IssueLog } from './issues.js';
import { cleanText } from './records.js';

/**
 * KorQuAD 1.0 / SQuAD JSON. `data[].paragraphs[].context` are passages (identical contexts merged; each
 * keeps its article title), `qas[]` are queries, and a question's own paragraph is its one relevant
 * passage. The file is one JSON document, so it is parsed into a syntax tree whose node offsets give the
 * line of every bad record. Passage ids are `p1`, `p2`, … in first-seen order, stable across re-imports.
 */
export function readSquad(path: string, name: string, log: IssueLog): DatasetBuilder {
  const builder = new DatasetBuilder('squad', name, path, log);
  const text = cleanText(readFileSync(path, 'utf8'));
  const lineOf = lineLocator(text);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0 || !root) {
    const e = errors[0];
    log.fatal({ file: path, line: e ? lineOf(e.offset) : 1, reason: `not valid JSON (${e ? printParseErrorCode(e.error) : 'empty file'})` });
  }
  const at = (node: Node | undefined, field: string) => ({ file: path, line: node ? lineOf(node.offset) : 1, field });
  const data = property(root!, 'data');
  if (!data || data.type !== 'array') log.fatal({ ...at(root, 'data'), reason: 'a SQuAD/KorQuAD file needs a top-level "data" array' });

  const byContext = new Map<string, string>();
  data!.children!.forEach((article, a) => {
    const title = stringValue(property(article, 'title'));
    const paragraphs = property(article, 'paragraphs');
    if (!paragraphs || paragraphs.type !== 'array') {
      log.report({ ...at(article, `data[${a}].paragraphs`), reason: 'missing "paragraphs" array' });
      return;
    }
    paragraphs.children!.forEach((paragraph, p) => {
      const where = `data[${a}].paragraphs[${p}]`;
      const contextNode = property(paragraph, 'context');
      const context = stringValue(contextNode);
      if (context === undefined) {
        log.report({ ...at(contextNode ?? paragraph, `${where}.context`), reason: contextNode ? 'context must be a string' : 'missing "context"' });
        return;
      }
      const key = cleanText(context).trim();
      let passageId = byContext.get(key);
      if (passageId) builder.duplicatePassagesMerged++;
      else if (key.length > 0) {
        passageId = `p${byContext.size + 1}`;
        byContext.set(key, passageId);
        builder.addPassage(passageId, context, title, at(contextNode, `${where}.context`));
      } else {
        builder.addPassage(`empty-${a}-${p}`, '', title, at(contextNode, `${where}.context`));
      }
      const qas = property(paragraph, 'qas');
      if (!qas) return;
      if (qas.type !== 'array') {
        log.report({ ...at(qas, `${where}.qas`), reason: '"qas" must be an array' });
        return;
      }
      qas.children!.forEach((qa, q) => {
        const qWhere = `${where}.qas[${q}]`;
        const idNode = property(qa, 'id');
        const id = idNode && (idNode.type === 'string' || idNode.type === 'number') ? String(idNode.value).trim() : '';
        const question = stringValue(property(qa, 'question'));
        if (!id) return log.report({ ...at(idNode ?? qa, `${qWhere}.id`), reason: 'missing or empty question id' });
        if (question === undefined || question.trim() === '') return log.report({ ...at(property(qa, 'question') ?? qa, `${qWhere}.question`), reason: 'missing or empty question' });
        builder.addQuery(id, question, at(qa, qWhere));
        if (passageId) builder.addQrel({ queryId: id, docId: passageId, relevance: 1, split: 'test' });
      });
    });
  });
  return builder;
}

function property(node: Node, key: string): Node | undefined {
  if (node.type !== 'object') return undefined;
  const pair = node.children?.find((c) => c.children?.[0]?.value === key);
  return pair?.children?.[1];
}

function stringValue(node: Node | undefined): string | undefined {
  return node?.type === 'string' ? (node.value as string) : undefined;
}

function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
