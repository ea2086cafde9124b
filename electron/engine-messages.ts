/**
 * Messages between the main process and the engine's utility process. Structured clone carries them, so
 * errors travel as WireError values (an Error would lose its code on the way).
 */
import type { Progress } from '../main/contract/api.js';
import type { MethodName } from '../main/contract/methods.js';
import type { WireError } from '../main/contract/wire.js';

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

/** What the engine process is started with (as `--engine-options <json>`). */
export interface EngineOptions {
  dbPath: string;
  modelDir: string | null;
  /** False turns off the first-run import of the bundled demo corpus. */
  demo: boolean;
}
