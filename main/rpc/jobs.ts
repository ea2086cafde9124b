import { randomUUID } from 'node:crypto';
import type { Progress } from '../contract/api.js';
import type { LongMethod, SaegimApi } from '../contract/methods.js';
import { toWireError, type JobEvent } from '../contract/wire.js';
import { invoke, type ValidCall } from './dispatch.js';
import { throttleProgress } from './progress.js';

/** How long a finished job's outcome stays available to a late subscriber. */
const FINISHED_JOB_TTL_MS = 10 * 60_000;
/**
 * A running job whose every subscriber has gone (the page was closed or reloaded) is cancelled after this
 * grace period: long enough for EventSource's own reconnect (retry: 2000) to come back, short enough that
 * the engine does not keep encoding for nobody.
 */
export const ORPHAN_GRACE_MS = 5_000;

export type JobOutcome = Extract<JobEvent, { type: 'result' | 'error' }>;

export interface RunningJob {
  readonly id: string;
  readonly method: LongMethod;
  readonly latest: Progress | null;
  readonly outcome: JobOutcome | null;
  /** Subscribes to progress and the outcome; returns the unsubscribe function. */
  subscribe(listener: (event: JobEvent) => void): () => void;
  /** True when the job was still running and is now told to stop. */
  cancel(): boolean;
}

export interface JobRegistryOptions {
  orphanGraceMs?: number;
  finishedTtlMs?: number;
}

/** Long operations run as jobs: throttled progress, late subscribers, cancel, and cancel-when-abandoned. */
export class JobRegistry {
  private readonly jobs = new Map<string, RunningJob>();

  constructor(
    private readonly api: SaegimApi,
    private readonly opts: JobRegistryOptions = {},
  ) {}

  get(id: string): RunningJob | undefined {
    return this.jobs.get(id);
  }

  start(call: ValidCall & { method: LongMethod }): RunningJob {
    const id = randomUUID();
    const controller = new AbortController();
    const listeners = new Set<(event: JobEvent) => void>();
    let outcome: JobOutcome | null = null;
    let orphanTimer: ReturnType<typeof setTimeout> | null = null;
    const emit = (event: JobEvent) => {
      for (const listener of listeners) listener(event);
    };
    const progress = throttleProgress((p) => emit({ type: 'progress', progress: p }));
    const grace = this.opts.orphanGraceMs ?? ORPHAN_GRACE_MS;
    const watchForOrphan = () => {
      if (outcome || listeners.size > 0 || orphanTimer) return;
      orphanTimer = setTimeout(() => {
        orphanTimer = null;
        if (!outcome && listeners.size === 0) controller.abort();
      }, grace);
      orphanTimer.unref?.();
    };
    const job: RunningJob = {
      id,
      method: call.method,
      get latest() {
        return progress.latest;
      },
      get outcome() {
        return outcome;
      },
      subscribe(listener) {
        listeners.add(listener);
        if (orphanTimer) clearTimeout(orphanTimer);
        orphanTimer = null;
        return () => {
          listeners.delete(listener);
          watchForOrphan();
        };
      },
      cancel() {
        if (outcome) return false;
        controller.abort();
        return true;
      },
    };
    this.jobs.set(id, job);
    const finish = (result: JobOutcome) => {
      progress.flush();
      outcome = result;
      if (orphanTimer) clearTimeout(orphanTimer);
      emit(result);
      listeners.clear();
      setTimeout(() => this.jobs.delete(id), this.opts.finishedTtlMs ?? FINISHED_JOB_TTL_MS).unref?.();
    };
    invoke(this.api, call, { onProgress: (p) => (outcome ? undefined : progress.onProgress(p)), signal: controller.signal }).then(
      (result) => finish({ type: 'result', result: result ?? null }),
      (err: unknown) => finish({ type: 'error', error: toWireError(err) }),
    );
    // A job nobody ever subscribes to (the page went away between start and subscribe) is abandoned too.
    watchForOrphan();
    return job;
  }

  /** Stops every running job (the server is closing). */
  cancelAll(): void {
    for (const job of this.jobs.values()) job.cancel();
  }
}
