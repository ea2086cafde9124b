/**
 * Browser mode's wire format, shared by main/server.ts, Electron's IPC and the renderer's API clients.
 *
 * - `POST /api/call/<method>` with a JSON array of arguments → `{ "result": … }` or `{ "error": WireError }`.
 * - Long operations (methods.ts, `long: true`) run as jobs:
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
import type { Progress } from './api.js';
import { ERROR_CODES, type ErrorCode } from './errors.js';

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

export const API_PREFIX = '/api';
export const callPath = (method: string): string => `${API_PREFIX}/call/${method}`;
export const jobPath = (method: string): string => `${API_PREFIX}/jobs/${method}`;
export const jobEventsPath = (jobId: string): string => `${API_PREFIX}/jobs/${jobId}/events`;
export const jobCancelPath = (jobId: string): string => `${API_PREFIX}/jobs/${jobId}/cancel`;

const KNOWN_CODES: ReadonlySet<string> = new Set<string>(ERROR_CODES);

/**
 * Any thrown value as a WireError. Duck-typed rather than `instanceof SaegimError` because errors cross
 * module copies (utility process, bundled renderer) where the class identity is lost.
 */
export function toWireError(err: unknown): WireError {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; details?: unknown; name?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(err);
    if (typeof e.code === 'string' && KNOWN_CODES.has(e.code)) {
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
    case 'unauthorized':
      return 401;
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
    case 'busy':
      return 503;
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
