import type { ImportIssue } from './types.js';

/** Error codes the CLI, HTTP server and UI can react to without parsing messages. */
export const ERROR_CODES = [
  'bad-input',
  'unauthorized',
  'import-failed',
  'not-found',
  'duplicate',
  'busy',
  'model-missing',
  'model-invalid',
  'model-mismatch',
  'cancelled',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class SaegimError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'SaegimError';
  }
}

/** Raised when a dataset cannot be imported; `issues` name each file:line and reason. */
export class ImportError extends SaegimError {
  constructor(readonly issues: ImportIssue[]) {
    super('import-failed', formatImportIssues(issues), issues);
    this.name = 'ImportError';
  }
}

export class CancelledError extends SaegimError {
  constructor(what = 'operation') {
    super('cancelled', `${what} cancelled`);
    this.name = 'CancelledError';
  }
}

export function formatIssue(issue: ImportIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  const field = issue.field ? ` (${issue.field})` : '';
  return `${where}${field}: ${issue.reason}`;
}

export function formatImportIssues(issues: ImportIssue[], limit = 10): string {
  const shown = issues.slice(0, limit).map(formatIssue);
  if (issues.length > limit) shown.push(`… and ${issues.length - limit} more`);
  return shown.join('\n');
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}
