/**
 * Messages between a host and the engine it runs elsewhere: Electron's utility process, or browser mode's
 * worker thread. Structured clone carries them, so errors travel as WireError values (an Error would lose
 * its code on the way).
 */
import type { Progress } from '../contract/api.js';
import type { MethodName } from '../contract/methods.js';
import type { WireError } from '../contract/wire.js';

export type ToEngine =
  | { type: 'call'; id: string; method: MethodName; args: unknown[]; progress: boolean }
  | { type: 'cancel'; id: string }
  | { type: 'shutdown' };

export type FromEngine =
  | { type: 'ready' }
  | { type: 'progress'; id: string; progress: Progress }
  | { type: 'reply'; id: string; ok: true; result: unknown }
  | { type: 'reply'; id: string; ok: false; error: WireError }
  | { type: 'fatal'; message: string };

/** What the engine is started with (Electron: `--engine-options <json>`; browser mode: workerData). */
export interface EngineOptions {
  dbPath: string;
  modelDir: string | null;
  /** False turns off the first-run import of the bundled demo corpus. */
  demo: boolean;
}
