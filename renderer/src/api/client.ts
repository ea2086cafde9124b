import type {
  AblationRequest,
  AblationResult,
  CollectionSummary,
  EngineInfo,
  EvaluateRequest,
  EvaluationReport,
  ExplainRequest,
  Explanation,
  ImportReport,
  ImportRequest,
  IndexReport,
  IndexRequest,
  LongOperation,
  ModelValidation,
  Progress,
  SearchRequest,
  SearchResponse,
  Settings,
} from '../../../main/contract/api.js';
import type { ErrorCode } from '../../../main/contract/errors.js';
import type { ApiMethod, WireError } from '../../../main/contract/wire.js';
import type { PathKind } from '../../../main/contract/bridge.js';

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

export type ProgressListener = (progress: Progress) => void;

/** A running long operation. `result` rejects with ApiError code `cancelled` after cancel(). */
export interface Job<T> {
  readonly result: Promise<T>;
  cancel(): void;
}

/** How calls reach the engine: Electron IPC through the preload bridge, or HTTP to browser mode's server. */
export interface Transport {
  readonly kind: 'electron' | 'http';
  call(method: ApiMethod, args: unknown[]): Promise<unknown>;
  job(method: LongOperation, args: unknown[], onProgress?: ProgressListener): Job<unknown>;
  pickPath?(kind: PathKind): Promise<string | null>;
  pathForFile?(file: File): string | null;
}

/**
 * SaegimApi as the views use it: the same methods, with long operations returning a Job that reports
 * progress and can be cancelled. Views never learn which transport is underneath.
 */
export interface SaegimClient {
  readonly transport: 'electron' | 'http';
  info(): Promise<EngineInfo>;
  listCollections(): Promise<CollectionSummary[]>;
  importDataset(req: ImportRequest, onProgress?: ProgressListener): Job<ImportReport>;
  deleteCollection(name: string): Promise<void>;
  indexCollection(req: IndexRequest, onProgress?: ProgressListener): Job<IndexReport>;
  search(req: SearchRequest): Promise<SearchResponse>;
  explain(req: ExplainRequest): Promise<Explanation>;
  ablate(req: AblationRequest): Promise<AblationResult>;
  evaluate(req: EvaluateRequest, onProgress?: ProgressListener): Job<EvaluationReport>;
  getSettings(): Promise<Settings>;
  updateSettings(patch: Partial<Settings>): Promise<Settings>;
  validateModel(dir: string): Promise<ModelValidation>;
  /** The native file/folder chooser, where there is one (Electron); null in browser mode. */
  readonly pickPath: ((kind: PathKind) => Promise<string | null>) | null;
  /** The path of a dropped file, where the platform reveals it (Electron). */
  pathForFile(file: File): string | null;
}

export function createClient(t: Transport): SaegimClient {
  const call = <T>(method: ApiMethod, ...args: unknown[]) => t.call(method, args) as Promise<T>;
  const job = <T>(method: LongOperation, req: unknown, onProgress?: ProgressListener) => t.job(method, [req], onProgress) as Job<T>;
  return {
    transport: t.kind,
    info: () => call('info'),
    listCollections: () => call('listCollections'),
    importDataset: (req, onProgress) => job('importDataset', req, onProgress),
    deleteCollection: (name) => call('deleteCollection', name),
    indexCollection: (req, onProgress) => job('indexCollection', req, onProgress),
    search: (req) => call('search', req),
    explain: (req) => call('explain', req),
    ablate: (req) => call('ablate', req),
    evaluate: (req, onProgress) => job('evaluate', req, onProgress),
    getSettings: () => call('getSettings'),
    updateSettings: (patch) => call('updateSettings', patch),
    validateModel: (dir) => call('validateModel', dir),
    pickPath: t.pickPath ? (kind) => t.pickPath!(kind) : null,
    pathForFile: (file) => t.pathForFile?.(file) ?? null,
  };
}
