import { SaegimError } from '../contract/errors.js';

/** better-sqlite3's SqliteError, recognised by shape: its class is not exported for instanceof. */
export function isSqliteError(err: unknown): err is Error & { code: string } {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return err.name === 'SqliteError' || (typeof code === 'string' && code.startsWith('SQLITE_'));
}

/**
 * A SQLite failure as one line that names what was being done: `busy` (HTTP 503) when another process
 * holds the database's write lock past the busy timeout, another code with the reason otherwise. Anything
 * that is not a SQLite error is returned unchanged.
 */
export function fromSqliteError(err: unknown, operation: string): unknown {
  if (!isSqliteError(err)) return err;
  const code = err.code;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new SaegimError('busy', `${operation}: the database is locked by another Saegim process (an import or indexing run?); try again when it is done`);
  }
  if (code.startsWith('SQLITE_READONLY')) return new SaegimError('bad-input', `${operation}: the database is read-only for this user`);
  if (code === 'SQLITE_NOTADB') return new SaegimError('bad-input', `${operation}: the file is not a Saegim (SQLite) database`);
  if (code.startsWith('SQLITE_CANTOPEN')) return new SaegimError('bad-input', `${operation}: the database file cannot be opened (check the folder and its permissions)`);
  if (code === 'SQLITE_FULL') return new SaegimError('internal', `${operation}: the disk is full`);
  if (code.startsWith('SQLITE_CORRUPT')) return new SaegimError('internal', `${operation}: the database file is damaged (${code})`);
  return new SaegimError('internal', `${operation}: database error ${code}: ${err.message}`);
}
