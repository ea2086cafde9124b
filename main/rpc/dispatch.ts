import type { OperationControl } from '../contract/api.js';
import { SaegimError } from '../contract/errors.js';
import { arity, isLongMethod, isMethodName, METHODS, type MethodName, type SaegimApi } from '../contract/methods.js';
import type { WireError } from '../contract/wire.js';
import { fromSqliteError } from '../store/sqlite-errors.js';

/** A call that passed the method table: a known method and its parsed arguments. */
export interface ValidCall {
  method: MethodName;
  args: unknown[];
}

export type ParsedCall = ({ ok: true } & ValidCall) | { ok: false; error: WireError };

/**
 * Checks a call from outside the engine against the method table: the method exists (and is long, where a
 * job was asked for), and its argument list parses with the table's schema — no missing, malformed or extra
 * argument reaches the engine. The one validation every host (HTTP, IPC, CLI) performs.
 */
export function parseCall(method: unknown, args: unknown, opts: { longOnly?: boolean } = {}): ParsedCall {
  if (typeof method !== 'string' || !isMethodName(method)) {
    return { ok: false, error: { code: 'not-found', message: `unknown API method "${String(method)}"` } };
  }
  if (opts.longOnly && !isLongMethod(method)) {
    return { ok: false, error: { code: 'bad-input', message: `${method} is not a long operation` } };
  }
  if (!Array.isArray(args)) return { ok: false, error: { code: 'bad-input', message: `${method}: arguments must be an array` } };
  const expected = arity(method);
  if (args.length > expected) {
    return { ok: false, error: { code: 'bad-input', message: `${method} takes ${expected} argument(s), got ${args.length}` } };
  }
  // JSON cannot carry `undefined`, so a missing trailing argument and an explicit one look alike to the schema.
  const padded = [...args];
  while (padded.length < expected) padded.push(undefined);
  const parsed = METHODS[method].args.safeParse(padded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // The path starts at the argument's position: `0.k` is field k of the first argument.
    const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return { ok: false, error: { code: 'bad-input', message: `${method}: invalid arguments${where}: ${issue.message}` } };
  }
  return { ok: true, method, args: parsed.data as unknown[] };
}

/**
 * Runs a validated call; long operations get the control (progress out, cancellation in). A SQLite error
 * (a lock held past the busy timeout, a full disk) comes out as a one-line SaegimError naming the method.
 */
export function invoke(api: SaegimApi, call: ValidCall, ctl?: OperationControl): Promise<unknown> {
  const fn = api[call.method] as (...a: unknown[]) => Promise<unknown>;
  const args = isLongMethod(call.method) && ctl ? [...call.args, ctl] : call.args;
  return Promise.resolve()
    .then(() => fn.apply(api, args))
    .catch((err: unknown) => {
      throw fromSqliteError(err, call.method);
    });
}

/**
 * The API with every argument checked against the table, for hosts that call in-process (the CLI) and for
 * tests of validation: a bad argument fails with `bad-input` exactly as it would over HTTP or IPC.
 */
export function validatingApi(api: SaegimApi): SaegimApi {
  const wrapped: Record<string, unknown> = {};
  for (const method of Object.keys(METHODS) as MethodName[]) {
    wrapped[method] = (...raw: unknown[]) => {
      const long = isLongMethod(method);
      const ctl = long && raw.length > arity(method) ? (raw[arity(method)] as OperationControl | undefined) : undefined;
      const call = parseCall(method, long ? raw.slice(0, arity(method)) : raw);
      if (!call.ok) return Promise.reject(new SaegimError(call.error.code, call.error.message));
      return invoke(api, call, ctl);
    };
  }
  return wrapped as SaegimApi;
}
