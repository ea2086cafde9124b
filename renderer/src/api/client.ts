import type { ErrorCode } from '../../../main/contract/errors.js';
import type { PathKind } from '../../../main/contract/bridge.js';
import {
  arity,
  isLongMethod,
  METHOD_NAMES,
  type ApiClientMethods,
  type Job,
  type LongMethod,
  type MethodName,
  type ProgressListener,
} from '../../../main/contract/methods.js';
import type { WireError } from '../../../main/contract/wire.js';

export type { Job, ProgressListener } from '../../../main/contract/methods.js';

/** A failed API call as the views see it, whichever transport carried it. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(wire: WireError) {
    super(wire.message);
    this.name = 'ApiError';
    this.code = wire.code;
    this.details = wire.details;
  }
}

export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ code: 'internal', message: err instanceof Error ? err.message : String(err) });
}

/** How calls reach the engine: Electron IPC through the preload bridge, or HTTP to browser mode's server. */
export interface Transport {
  readonly kind: 'electron' | 'http';
  call(method: MethodName, args: unknown[]): Promise<unknown>;
  job(method: LongMethod, args: unknown[], onProgress?: ProgressListener): Job<unknown>;
  pickPath?(kind: PathKind): Promise<string | null>;
  pathForFile?(file: File): string | null;
}

/**
 * The API as the views use it, derived from the method table: the same methods, with long operations
 * returning a Job that reports progress and can be cancelled. Views never learn which transport is underneath.
 */
export type SaegimClient = ApiClientMethods & {
  readonly transport: 'electron' | 'http';
  /** The native file/folder chooser, where there is one (Electron); null in browser mode. */
  readonly pickPath: ((kind: PathKind) => Promise<string | null>) | null;
  /** The path of a dropped file, where the platform reveals it (Electron). */
  pathForFile(file: File): string | null;
};

export function createClient(t: Transport): SaegimClient {
  const methods: Record<string, unknown> = {};
  for (const name of METHOD_NAMES) {
    const n = arity(name);
    methods[name] = isLongMethod(name)
      ? (...args: unknown[]) => t.job(name, args.slice(0, n), args[n] as ProgressListener | undefined)
      : (...args: unknown[]) => t.call(name, args.slice(0, n));
  }
  return {
    ...(methods as ApiClientMethods),
    transport: t.kind,
    pickPath: t.pickPath ? (kind) => t.pickPath!(kind) : null,
    pathForFile: (file) => t.pathForFile?.(file) ?? null,
  };
}

/**
 * The same client, also telling `onUnauthorized` whenever the server refuses a call for want of its token
 * (browser mode opened without `?token=`, or a server restarted with a new one): the app then stops
 * showing data it can no longer refresh. Callers still get the rejection.
 */
export function watchUnauthorized(client: SaegimClient, onUnauthorized: (err: ApiError) => void): SaegimClient {
  const watch = <T>(pending: Promise<T>): Promise<T> =>
    pending.catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 'unauthorized') onUnauthorized(err);
      throw err;
    });
  const methods: Record<string, unknown> = {};
  for (const name of METHOD_NAMES) {
    const fn = client[name] as (...args: unknown[]) => unknown;
    methods[name] = isLongMethod(name)
      ? (...args: unknown[]) => {
          const job = fn(...args) as Job<unknown>;
          return { result: watch(job.result), cancel: () => job.cancel() };
        }
      : (...args: unknown[]) => watch(fn(...args) as Promise<unknown>);
  }
  return { ...client, ...(methods as ApiClientMethods) };
}
