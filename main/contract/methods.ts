/**
 * The method table: the single source of Saegim's API. Every method the app offers is one row — its name,
 * the zod schema of its argument list, whether it is a long operation (progress + cancel, run as a job)
 * and, as a type only, what it returns. The service's type, the HTTP routes, the IPC validation, the
 * renderer's client and arity checks are all derived from this table; hosts validate every argument once,
 * at their boundary, with these schemas.
 *
 * Browser-safe: zod and types only.
 */
import { z } from 'zod';
import type {
  AblationResult,
  CollectionSummary,
  EngineInfo,
  EvaluationReport,
  EvaluationSummary,
  Explanation,
  ImportReport,
  IndexReport,
  ModelValidation,
  OperationControl,
  Progress,
  QueryEntry,
  SearchResponse,
  Settings,
} from './api.js';
import {
  AblationRequestSchema,
  CollectionNameSchema,
  EvaluateRequestSchema,
  EvaluationIdSchema,
  ExplainRequestSchema,
  FolderPathSchema,
  ImportRequestSchema,
  IndexRequestSchema,
  ListEvaluationsSchema,
  ListQueriesSchema,
  SearchRequestSchema,
  SettingsPatchSchema,
} from './schemas.js';

type ArgumentList = z.ZodTuple<readonly z.ZodType[], null>;

interface MethodSpec<A extends ArgumentList, R, L extends boolean> {
  readonly args: A;
  readonly long: L;
  /** Type-level only: what the method resolves to. */
  readonly result?: R;
}

const call =
  <R>() =>
  <A extends ArgumentList>(args: A): MethodSpec<A, R, false> => ({ args, long: false });
const long =
  <R>() =>
  <A extends ArgumentList>(args: A): MethodSpec<A, R, true> => ({ args, long: true });

export const METHODS = {
  info: call<EngineInfo>()(z.tuple([])),
  listCollections: call<CollectionSummary[]>()(z.tuple([])),
  importDataset: long<ImportReport>()(z.tuple([ImportRequestSchema])),
  deleteCollection: call<void>()(z.tuple([CollectionNameSchema])),
  indexCollection: long<IndexReport>()(z.tuple([IndexRequestSchema])),
  search: call<SearchResponse>()(z.tuple([SearchRequestSchema])),
  explain: call<Explanation>()(z.tuple([ExplainRequestSchema])),
  ablate: call<AblationResult>()(z.tuple([AblationRequestSchema])),
  evaluate: long<EvaluationReport>()(z.tuple([EvaluateRequestSchema])),
  listEvaluations: call<EvaluationSummary[]>()(z.tuple([ListEvaluationsSchema.optional()])),
  getEvaluation: call<EvaluationReport>()(z.tuple([EvaluationIdSchema])),
  deleteEvaluation: call<{ deleted: boolean }>()(z.tuple([EvaluationIdSchema])),
  listQueries: call<QueryEntry[]>()(z.tuple([ListQueriesSchema])),
  getSettings: call<Settings>()(z.tuple([])),
  updateSettings: call<Settings>()(z.tuple([SettingsPatchSchema])),
  validateModel: call<ModelValidation>()(z.tuple([FolderPathSchema])),
} as const;

type Table = typeof METHODS;
export type MethodName = keyof Table;
/** Arguments as the engine receives them: parsed, defaults applied. */
export type MethodArgs<M extends MethodName> = z.output<Table[M]['args']>;
/** Arguments as a client sends them. */
export type MethodInput<M extends MethodName> = z.input<Table[M]['args']>;
export type MethodResult<M extends MethodName> = Exclude<Table[M]['result'], undefined>;
export type LongMethod = { [M in MethodName]: Table[M]['long'] extends true ? M : never }[MethodName];

/** The engine's side of the table: what the service implements and every host calls. */
export type SaegimApi = {
  [M in MethodName]: (...args: M extends LongMethod ? [...MethodArgs<M>, OperationControl?] : MethodArgs<M>) => Promise<MethodResult<M>>;
};

export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

export function isLongMethod(name: string): name is LongMethod {
  return isMethodName(name) && METHODS[name].long;
}

/** How many arguments a client may pass: transports refuse more, so no client can pass its own OperationControl. */
export function arity(name: MethodName): number {
  return METHODS[name].args.def.items.length;
}

export type ProgressListener = (progress: Progress) => void;

/** A running long operation. `result` rejects with code `cancelled` after cancel(). */
export interface Job<T> {
  readonly result: Promise<T>;
  cancel(): void;
}

/** The client's side of the table: long operations return a Job that reports progress and can be cancelled. */
export type ApiClientMethods = {
  [M in MethodName]: M extends LongMethod
    ? (...args: [...MethodInput<M>, ProgressListener?]) => Job<MethodResult<M>>
    : (...args: MethodInput<M>) => Promise<MethodResult<M>>;
};
