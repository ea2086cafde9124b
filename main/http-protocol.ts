/**
 * Browser mode's wire format, shared by main/server.ts and the renderer's HTTP client.
 *
 * - `POST /api/call/<method>` with a JSON array of arguments → `{ "result": … }` or `{ "error": WireError }`.
 * - Long operations (api.ts LONG_OPERATIONS) run as jobs:
 *   `POST /api/jobs/<method>` with the arguments → `{ "jobId": "…" }`;
 *   `GET /api/jobs/<jobId>/events` is a Server-Sent Events stream of `progress` (Progress),
 *   then one `result` ({ result }) or `error` ({ error }) event;
 *   `POST /api/jobs/<jobId>/cancel` aborts it.
 * Everything listens on 127.0.0.1 only.
 */
import type { ErrorCode } from './errors.js';

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export const API_PREFIX = '/api';
export const callPath = (method: string): string => `${API_PREFIX}/call/${method}`;
export const jobPath = (method: string): string => `${API_PREFIX}/jobs/${method}`;
export const jobEventsPath = (jobId: string): string => `${API_PREFIX}/jobs/${jobId}/events`;
export const jobCancelPath = (jobId: string): string => `${API_PREFIX}/jobs/${jobId}/cancel`;
