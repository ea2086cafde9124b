/**
 * Browser mode's wire format, shared by main/server.ts, Electron's IPC and the renderer's API clients.
 *
 * - `POST /api/call/<method>` with a JSON array of arguments → `{ "result": … }` or `{ "error": WireError }`.
 * - Long operations (api.ts LONG_OPERATIONS) run as jobs:
 *   `POST /api/jobs/<method>` with the arguments → `{ "jobId": "…" }`;
 *   `GET /api/jobs/<jobId>/events` is a Server-Sent Events stream of `progress` (Progress),
 *   then one `result` ({ result }) or `error` ({ error }) event; a late subscriber first gets the latest
 *   progress and, when the job has finished, its outcome;
 *   `POST /api/jobs/<jobId>/cancel` aborts it.
 * Requests carrying a body must be `Content-Type: application/json`: a page on another origin cannot send
 * that without a CORS preflight, which the server never grants.
 * Everything listens on 127.0.0.1 only.
 *
 * No Node imports: the renderer bundles this file.
 */
import type { LongOperation, Progress, SaegimApi } from './api.js';
import type { ErrorCode } from './errors.js';

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** What a job stream or an IPC job channel carries. */
export type JobEvent =
  | { type: 'progress'; progress: Progress }
  | { type: 'result'; result: unknown }
  | { type: 'error'; error: WireError };

export type ApiMethod = keyof SaegimApi;

/**
 * How many arguments each method takes from a client. A Record over every key makes the compiler reject a
 * method added to SaegimApi but not listed here; transports refuse extra arguments so that a client can
 * never pass its own OperationControl.
 */
export const API_ARITY: Readonly<Record<ApiMethod, number>> = {
  info: 0,
  listCollections: 0,
  importDataset: 1,
  deleteCollection: 1,
  indexCollection: 1,
  search: 1,
  explain: 1,
  ablate: 1,
  evaluate: 1,
  getSettings: 0,
  updateSettings: 1,
  validateModel: 1,
};

export const API_METHODS: readonly ApiMethod[] = Object.keys(API_ARITY) as ApiMethod[];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.prototype.hasOwnProperty.call(API_ARITY, name);
}

const LONG: Record<LongOperation, true> = { importDataset: true, indexCollection: true, evaluate: true };

export function isLongOperation(name: string): name is LongOperation {
  return Object.prototype.hasOwnProperty.call(LONG, name);
}

export const API_PREFIX = '/api';
export const callPath = (method: string): string => `${API_PREFIX}/call/${method}`;
export const jobPath = (method: string): string => `${API_PREFIX}/jobs/${method}`;
export const jobEventsPath = (jobId: string): string => `${API_PREFIX}/jobs/${jobId}/events`;
export const jobCancelPath = (jobId: string): string => `${API_PREFIX}/jobs/${jobId}/cancel`;

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'bad-input',
  'import-failed',
  'not-found',
  'duplicate',
  'model-missing',
  'model-invalid',
  'model-mismatch',
  'cancelled',
  'internal',
]);

/**
 * Any thrown value as a WireError. Duck-typed rather than `instanceof SaegimError` because errors cross
 * module copies (utility process, bundled renderer) where the class identity is lost.
 */
export function toWireError(err: unknown): WireError {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; details?: unknown; name?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(err);
    if (typeof e.code === 'string' && ERROR_CODES.has(e.code)) {
      return e.details === undefined ? { code: e.code as ErrorCode, message } : { code: e.code as ErrorCode, message, details: e.details };
    }
    if (e.name === 'AbortError') return { code: 'cancelled', message };
    return { code: 'internal', message };
  }
  return { code: 'internal', message: String(err) };
}

/**
 * HTTP status for an error code. 499 for cancelled follows nginx's "client closed request": the client
 * asked for the stop, so it is neither its mistake (4xx proper) nor the server's (5xx).
 */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'bad-input':
      return 400;
    case 'not-found':
      return 404;
    case 'duplicate':
      return 409;
    case 'import-failed':
    case 'model-missing':
    case 'model-invalid':
    case 'model-mismatch':
      return 422;
    case 'cancelled':
      return 499;
    default:
      return 500;
  }
}

export function isWireError(value: unknown): value is WireError {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as WireError).code === 'string' &&
    typeof (value as WireError).message === 'string'
  );
}
