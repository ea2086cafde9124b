import type { DatasetFormat, ParsedDataset, Passage, Qrel, Query, SourceLocation } from '../types.js';
import type { IssueLog } from './issues.js';
import { cleanText } from './records.js';

/**
 * Accumulates a dataset's records as a reader finds them, enforcing what holds for every format:
 * unique ids, no empty passages, qrels that point at known ids.
 */
export class DatasetBuilder {
  private readonly passages: Passage[] = [];
  private readonly queries: Query[] = [];
  private readonly qrels: Qrel[] = [];
  private readonly passageIds = new Set<string>();
  private readonly queryIds = new Set<string>();
  private emptyPassages = 0;
  duplicatePassagesMerged = 0;

  constructor(
    private readonly format: DatasetFormat,
    private readonly name: string,
    private readonly source: string,
    private readonly log: IssueLog,
  ) {}

  hasPassage(id: string): boolean {
    return this.passageIds.has(id);
  }

  addPassage(id: string, text: string, title: string | null | undefined, at: SourceLocation): void {
    if (this.passageIds.has(id)) {
      this.log.report({ ...at, reason: `duplicate passage id "${id}"` });
      return;
    }
    const body = cleanText(text).trim();
    if (body.length === 0) {
      this.emptyPassages++;
      return;
    }
    this.passageIds.add(id);
    const t = title ? cleanText(title).trim() : '';
    this.passages.push(t ? { id, title: t, text: body } : { id, text: body });
  }

  addQuery(id: string, text: string, at: SourceLocation): void {
    if (this.queryIds.has(id)) {
      this.log.report({ ...at, reason: `duplicate query id "${id}"` });
      return;
    }
    this.queryIds.add(id);
    this.queries.push({ id, text: cleanText(text).trim() });
  }

  addQrel(qrel: Qrel): void {
    this.qrels.push(qrel);
  }

  build(): ParsedDataset {
    if (this.passages.length === 0) {
      this.log.fatal({ file: this.source, line: 0, reason: this.emptyPassages > 0 ? 'every passage is empty' : 'no passages found' });
    }
    this.log.finish();
    let unknownQuery = 0;
    let unknownPassage = 0;
    const qrels = this.qrels.filter((q) => {
      if (!this.queryIds.has(q.queryId)) return unknownQuery++, false;
      if (!this.passageIds.has(q.docId)) return unknownPassage++, false;
      return true;
    });
    return {
      format: this.format,
      name: this.name,
      source: this.source,
      passages: this.passages,
      queries: this.queries,
      qrels,
      skipped: this.log.skipped,
      stats: {
        emptyPassages: this.emptyPassages,
        qrelsWithUnknownQuery: unknownQuery,
        qrelsWithUnknownPassage: unknownPassage,
        duplicatePassagesMerged: this.duplicatePassagesMerged,
      },
    };
  }
}
