/**
 * What the preload script exposes to the renderer as `window.saegim`. Types only: the sandboxed preload
 * cannot load local modules at run time, and the renderer imports this file for its types.
 */
import type { LongMethod, MethodName } from './methods.js';
import type { JobEvent, WireError } from './wire.js';

/** IPC replies carry errors as values: Electron keeps only `message` of an Error thrown across IPC. */
export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: WireError };

export type PathKind = 'file' | 'folder';

export interface SaegimBridge {
  call(method: MethodName, args: unknown[]): Promise<BridgeReply>;
  /**
   * Starts a long operation under an id the renderer chose, so it can subscribe before the first progress
   * event can arrive. Resolves once the job is accepted; its progress and outcome come through onJobEvent.
   */
  startJob(jobId: string, method: LongMethod, args: unknown[]): Promise<BridgeReply>;
  cancelJob(jobId: string): Promise<void>;
  /** Subscribes to every job's events; returns the unsubscribe function. */
  onJobEvent(listener: (jobId: string, event: JobEvent) => void): () => void;
  /** The native open dialog; null when the user cancels. */
  pickPath(kind: PathKind): Promise<string | null>;
  /** The filesystem path of a dropped File (Electron removed File.path). */
  pathForFile(file: File): string | null;
}
