import { randomUUID } from 'node:crypto';
import type { Progress } from '../contract/api.js';
import type { BridgeReply } from '../contract/bridge.js';
import type { MethodName } from '../contract/methods.js';
import type { FromEngine, ToEngine } from './engine-messages.js';

/** The engine as the connection sees it: Electron's UtilityProcess, a worker thread, or a stand-in in tests. */
export interface EngineChild {
  postMessage(message: ToEngine): void;
  on(event: 'message', listener: (message: FromEngine) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

/** What hosts (IPC handlers, the HTTP server's API proxy) need of the engine. */
export interface EngineLink {
  /** Runs a method in the engine; arguments must already be validated. */
  request(method: MethodName, args: unknown[], onProgress?: (p: Progress) => void, id?: string): Promise<BridgeReply>;
  cancel(id: string): void;
}

interface Pending {
  resolve(reply: BridgeReply): void;
  onProgress?: (p: Progress) => void;
}

interface ReadyWaiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * A host's handle on an engine that runs elsewhere: requests out, replies and progress back. If the engine
 * dies (a native crash in onnxruntime, say) pending calls fail with an `internal` error and the next call
 * starts a fresh engine.
 */
export class EngineConnection implements EngineLink {
  private child: EngineChild | null = null;
  private readonly pending = new Map<string, Pending>();
  private stopping = false;
  private ready: ReadyWaiter | null = null;

  constructor(private readonly spawnEngine: () => EngineChild) {}

  private ensure(): EngineChild {
    if (this.child) return this.child;
    const child = this.spawnEngine();
    child.on('message', (msg: FromEngine) => this.receive(msg));
    child.on('exit', (code) => {
      if (this.child === child) this.child = null;
      const reason = this.stopping ? 'the app is closing' : `the engine exited with code ${code}`;
      this.ready?.reject(new Error(reason));
      this.ready = null;
      for (const [id, p] of this.pending) {
        p.resolve({ ok: false, error: { code: 'internal', message: reason } });
        this.pending.delete(id);
      }
    });
    this.child = child;
    return child;
  }

  private receive(msg: FromEngine): void {
    if (msg.type === 'progress') this.pending.get(msg.id)?.onProgress?.(msg.progress);
    else if (msg.type === 'reply') {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg.ok ? { ok: true, result: msg.result } : { ok: false, error: msg.error });
    } else if (msg.type === 'ready') {
      this.ready?.resolve();
      this.ready = null;
    } else if (msg.type === 'fatal') {
      // Someone waiting for the engine to come up reports the reason itself; otherwise it goes to stderr.
      if (this.ready) {
        this.ready.reject(new Error(msg.message));
        this.ready = null;
      } else process.stderr.write(`saegim engine: ${msg.message}\n`);
    }
  }

  start(): void {
    this.ensure();
  }

  /** Starts the engine and resolves once it answers, or rejects with the reason it could not start. */
  startAndWait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
      this.ensure();
    });
  }

  request(method: MethodName, args: unknown[], onProgress?: (p: Progress) => void, id: string = randomUUID()): Promise<BridgeReply> {
    if (this.stopping) return Promise.resolve({ ok: false, error: { code: 'internal', message: 'the app is closing' } });
    const child = this.ensure();
    return new Promise<BridgeReply>((resolve) => {
      this.pending.set(id, { resolve, onProgress });
      child.postMessage({ type: 'call', id, method, args, progress: !!onProgress });
    });
  }

  cancel(id: string): void {
    if (this.pending.has(id)) this.child?.postMessage({ type: 'cancel', id });
  }

  /** Asks the engine to close its database cleanly; kills it if it does not exit in time. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => {
        child.kill();
        done();
      }, timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.postMessage({ type: 'shutdown' });
    });
  }
}
