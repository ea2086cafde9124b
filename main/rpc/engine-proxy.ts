import { randomUUID } from 'node:crypto';
import type { OperationControl } from '../contract/api.js';
import { CancelledError, SaegimError } from '../contract/errors.js';
import { arity, isLongMethod, METHOD_NAMES, type SaegimApi } from '../contract/methods.js';
import type { EngineLink } from './engine-connection.js';

/**
 * The API as an object that forwards every call to an engine elsewhere (a worker thread, a utility
 * process), so a host such as the HTTP server can take it where it would take the service itself. Errors
 * come back as SaegimErrors with the engine's code; a long operation's signal cancels it in the engine.
 */
export function engineApi(link: EngineLink): SaegimApi {
  const api: Record<string, unknown> = {};
  for (const method of METHOD_NAMES) {
    const n = arity(method);
    const long = isLongMethod(method);
    api[method] = async (...raw: unknown[]) => {
      const ctl = long ? (raw[n] as OperationControl | undefined) : undefined;
      const signal = ctl?.signal;
      if (signal?.aborted) throw new CancelledError(method);
      const id = randomUUID();
      const onAbort = () => link.cancel(id);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const reply = await link.request(method, raw.slice(0, n), ctl?.onProgress, id);
        if (reply.ok) return reply.result;
        throw new SaegimError(reply.error.code, reply.error.message, reply.error.details);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    };
  }
  return api as SaegimApi;
}
