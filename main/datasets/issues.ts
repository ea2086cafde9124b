import { ImportError } from '../contract/errors.js';
import type { ImportIssue } from '../contract/types.js';

const MAX_ISSUES = 50;

/**
 * Collects bad records while a dataset is read. Strict imports fail with every issue found (up to a cap,
 * so a wholly wrong file stops early); `skipBad` imports keep the issues as a report instead.
 */
export class IssueLog {
  readonly skipped: ImportIssue[] = [];
  private readonly errors: ImportIssue[] = [];

  constructor(private readonly skipBad: boolean) {}

  report(issue: ImportIssue): void {
    if (this.skipBad) {
      this.skipped.push(issue);
      return;
    }
    this.errors.push(issue);
    if (this.errors.length >= MAX_ISSUES) throw new ImportError(this.errors);
  }

  /**
   * A problem no `skipBad` can get around (unreadable file, no passages at all). It comes first, followed by
   * what was already found, skipped records included: when nothing was left they are the reason why.
   */
  fatal(issue: ImportIssue): never {
    throw new ImportError([issue, ...this.errors, ...this.skipped].slice(0, MAX_ISSUES));
  }

  get skippedCount(): number {
    return this.skipped.length;
  }

  finish(): void {
    if (this.errors.length > 0) throw new ImportError(this.errors);
  }
}
