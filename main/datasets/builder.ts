import type { DatasetFormat, ParsedDataset, Passage, Qrel, Query, SourceLocation } from '../contract/types.js';
import type { IssueLog } from './issues.js';
import { readContext } from './read-context.js';
import { cleanText } from './records.js';

/** Where a record sits; a function when finding the line is costly (SQuAD) and only needed for a report. */
export type RecordLocation = SourceLocation | (() => SourceLocation);

/**
 * The longest passage accepted, in characters (UTF-16 code units, as JavaScript counts). Encoders read a
 * few hundred tokens at most, so a longer passage is almost always a whole book or a file imported by
 * mistake — and it would be held in memory and sent to the UI whole. Refused, with file:line, rather than
 * silently cut: where to split is the dataset's decision.
 */
export const MAX_PASSAGE_CHARS = 100_000;

const located = (at: RecordLocation): SourceLocation => (typeof at === 'function' ? at() : at);
const lineOf = (at: RecordLocation): number => (typeof at === 'function' ? 0 : at.line);

/**
 * Accumulates a dataset's records as a reader finds them, enforcing what holds for every format: unique
 * ids (the first one wins under `skipBad`), no empty passages, qrels that point at known ids. Ids and text
 * are NFC-normalised here so that an NFD file name or corpus id still matches its qrels.
 */
export class DatasetBuilder {
  private readonly passages: Passage[] = [];
  private readonly queries: Query[] = [];
  /** Keyed by split, query and passage: a repeated judgement replaces the earlier one, as the store does. */
  private readonly qrels = new Map<string, Qrel>();
  /** Id → line it was first seen on, so a duplicate can point back at the original. */
  private readonly passageIds = new Map<string, number>();
  private readonly queryIds = new Map<string, number>();
  private emptyPassages = 0;
  private duplicatePassagesMerged = 0;
  private passageCount = 0;
  /** Where accepted passages go instead of `passages` during a streaming import (datasets/stream.ts). */
  private readonly onPassage = readContext.getStore()?.onPassage;

  constructor(
    private readonly format: DatasetFormat,
    private readonly name: string,
    private readonly source: string,
    private readonly log: IssueLog,
  ) {}

  /** Adds a passage; false when it was dropped (empty, or a duplicate id). */
  addPassage(rawId: string, text: string, title: string | null | undefined, at: RecordLocation): boolean {
    const id = cleanText(rawId).trim();
    const first = this.passageIds.get(id);
    if (first !== undefined) {
      this.log.report({ ...located(at), reason: `duplicate passage id "${id}"${first > 0 ? ` (first on line ${first})` : ''}` });
      return false;
    }
    const body = cleanText(text).trim();
    if (body.length === 0) {
      this.emptyPassages++;
      return false;
    }
    if (body.length > MAX_PASSAGE_CHARS) {
      this.log.report({
        field: 'text',
        ...located(at),
        reason: `passage "${id.slice(0, 100)}" is ${body.length.toLocaleString('en-US')} characters long; the limit is ${MAX_PASSAGE_CHARS.toLocaleString('en-US')} (split it into smaller passages)`,
      });
      return false;
    }
    this.passageIds.set(id, lineOf(at));
    const t = title ? cleanText(title).trim() : '';
    const passage: Passage = t ? { id, title: t, text: body } : { id, text: body };
    this.passageCount++;
    if (this.onPassage) this.onPassage(passage, at);
    else this.passages.push(passage);
    return true;
  }

  /** A record whose text was empty or whitespace: dropped before it got an id, but still counted. */
  countEmptyPassage(): void {
    this.emptyPassages++;
  }

  /** A SQuAD paragraph whose context repeats an earlier one and was folded into it. */
  countMergedPassage(): void {
    this.duplicatePassagesMerged++;
  }

  /** Adds a query; false when its id was already taken. */
  addQuery(rawId: string, text: string, at: RecordLocation): boolean {
    const id = cleanText(rawId).trim();
    const first = this.queryIds.get(id);
    if (first !== undefined) {
      this.log.report({ ...located(at), reason: `duplicate query id "${id}"${first > 0 ? ` (first on line ${first})` : ''}` });
      return false;
    }
    this.queryIds.set(id, lineOf(at));
    this.queries.push({ id, text: cleanText(text).trim() });
    return true;
  }

  addQrel(qrel: Qrel): void {
    const queryId = cleanText(qrel.queryId).trim();
    const docId = cleanText(qrel.docId).trim();
    this.qrels.set(`${qrel.split}\u0000${queryId}\u0000${docId}`, { ...qrel, queryId, docId });
  }

  /** The validated dataset; throws ImportError when a strict read found issues or nothing was left. */
  build(): ParsedDataset {
    // Bad records first: in a strict read they, not the emptiness they caused, are what the user must fix.
    this.log.finish();
    if (this.passageCount === 0) {
      const skipped = this.log.skippedCount;
      const reason =
        skipped > 0
          ? `no passages left after skipping ${skipped} bad record${skipped === 1 ? '' : 's'}`
          : this.emptyPassages > 0
            ? `no passages: all ${this.emptyPassages} are empty`
            : 'no passages found';
      this.log.fatal({ file: this.source, line: 0, reason });
    }
    let unknownQuery = 0;
    let unknownPassage = 0;
    const qrels: Qrel[] = [];
    for (const q of this.qrels.values()) {
      if (!this.queryIds.has(q.queryId)) unknownQuery++;
      else if (!this.passageIds.has(q.docId)) unknownPassage++;
      else qrels.push(q);
    }
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
