import type { Progress } from '../contract/api.js';

/** Progress events closer together than this are coalesced: indexing reports per batch, a bar needs less. */
export const PROGRESS_INTERVAL_MS = 50;

export interface ThrottledProgress {
  onProgress(progress: Progress): void;
  /** Sends what is still held back (call before the outcome, so the last progress is never lost). */
  flush(): void;
  readonly latest: Progress | null;
}

/** Forwards at most one progress event per interval, always the newest, and never drops the last one. */
export function throttleProgress(send: (progress: Progress) => void, intervalMs = PROGRESS_INTERVAL_MS): ThrottledProgress {
  let latest: Progress | null = null;
  let pending = false;
  let lastSent = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!pending || !latest) return;
    pending = false;
    lastSent = Date.now();
    send(latest);
  };
  return {
    onProgress(progress) {
      latest = { ...progress };
      pending = true;
      const wait = intervalMs - (Date.now() - lastSent);
      if (wait <= 0) flush();
      else timer ??= setTimeout(flush, wait);
    },
    flush,
    get latest() {
      return latest;
    },
  };
}
