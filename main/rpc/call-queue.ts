import type { MethodName } from '../contract/methods.js';

/**
 * Calls that score a collection: one of them can keep the engine's thread busy for tens of milliseconds,
 * so a burst of them is queued rather than interleaved without limit, and cheap calls (info, lists,
 * settings) go past the queue.
 */
export const HEAVY_METHODS: ReadonlySet<MethodName> = new Set<MethodName>(['search', 'explain', 'ablate', 'evaluate']);

export interface CallQueueOptions {
  /** Heavy calls running at once; more overlap encoding and scoring but answer none sooner. */
  concurrency: number;
  /** Heavy calls allowed to wait; the next one is refused with `busy`. */
  maxWaiting: number;
}

export const DEFAULT_CALL_QUEUE: CallQueueOptions = { concurrency: 2, maxWaiting: 64 };

interface Waiting {
  id: string;
  start(): void;
  drop(): void;
}

/** A bounded FIFO of heavy calls, by call id so a waiting call can be cancelled before it starts. */
export class CallQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];

  constructor(private readonly opts: CallQueueOptions = DEFAULT_CALL_QUEUE) {}

  get depth(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /**
   * Runs `task` when a slot is free. Resolves with its outcome; `'full'` when the queue is full and
   * `'dropped'` when the call was cancelled while waiting (the task never ran in either case).
   */
  run<T>(id: string, task: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false; why: 'full' | 'dropped' }> {
    const go = async () => {
      this.running++;
      try {
        return { ran: true as const, value: await task() };
      } finally {
        this.running--;
        this.next();
      }
    };
    if (this.running < this.opts.concurrency) return go();
    if (this.waiting.length >= this.opts.maxWaiting) return Promise.resolve({ ran: false, why: 'full' });
    return new Promise((resolve, reject) => {
      this.waiting.push({ id, start: () => go().then(resolve, reject), drop: () => resolve({ ran: false, why: 'dropped' }) });
    });
  }

  /** True when the call was waiting and is now dropped. */
  cancel(id: string): boolean {
    const at = this.waiting.findIndex((w) => w.id === id);
    if (at < 0) return false;
    const [w] = this.waiting.splice(at, 1);
    w!.drop();
    return true;
  }

  private next(): void {
    while (this.running < this.opts.concurrency && this.waiting.length > 0) this.waiting.shift()!.start();
  }
}

export function busyMessage(opts: CallQueueOptions = DEFAULT_CALL_QUEUE): string {
  return `the engine is busy: ${opts.maxWaiting} searches are already waiting; try again in a moment`;
}
