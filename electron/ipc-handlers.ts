import type { BridgeReply, PathKind } from '../main/contract/bridge.js';
import type { LongMethod } from '../main/contract/methods.js';
import type { JobEvent, WireError } from '../main/contract/wire.js';
import { parseCall } from '../main/rpc/dispatch.js';
import type { EngineLink } from './engine-connection.js';
import { JobIdSchema, PathKindSchema } from './ipc-schemas.js';

/** What a handler needs of the page that sent a message (a subset of Electron's IpcMainInvokeEvent). */
export interface IpcSender {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
  once(event: 'destroyed', listener: () => void): unknown;
  off(event: 'destroyed', listener: () => void): unknown;
}

export interface IpcEventLike {
  sender: IpcSender;
  senderFrame: { url: string; parent: unknown } | null;
}

export interface IpcHandlers {
  call(event: IpcEventLike, method: unknown, args: unknown): Promise<BridgeReply>;
  jobStart(event: IpcEventLike, jobId: unknown, method: unknown, args: unknown): Promise<BridgeReply>;
  jobCancel(event: IpcEventLike, jobId: unknown): Promise<void>;
  pickPath(event: IpcEventLike, kind: unknown): Promise<string | null>;
}

const refuse = (error: WireError): BridgeReply => ({ ok: false, error });
const untrusted: BridgeReply = { ok: false, error: { code: 'bad-input', message: 'IPC from an unexpected page refused' } };

/**
 * The main process's side of the preload bridge, free of Electron imports so it is tested as it runs.
 * Every handler checks that the message comes from our own top-level page and parses its arguments with
 * the method table (main/rpc/dispatch.ts) before anything reaches the engine process.
 */
export function createIpcHandlers(opts: {
  engine: EngineLink;
  isTrustedUrl: (url: string) => boolean;
  jobEventChannel: string;
  choosePath: (event: IpcEventLike, kind: PathKind) => Promise<string | null>;
}): IpcHandlers {
  const { engine } = opts;
  const trusted = (event: IpcEventLike) => event.senderFrame?.parent === null && opts.isTrustedUrl(event.senderFrame?.url ?? '');
  const jobs = new Map<string, IpcSender>();

  return {
    async call(event, method, args) {
      if (!trusted(event)) return untrusted;
      const call = parseCall(method, args);
      if (!call.ok) return refuse(call.error);
      return engine.request(call.method, call.args);
    },

    async jobStart(event, jobId, method, args) {
      if (!trusted(event)) return untrusted;
      const id = JobIdSchema.safeParse(jobId);
      if (!id.success) return refuse({ code: 'bad-input', message: 'job id must be a UUID' });
      if (jobs.has(id.data)) return refuse({ code: 'duplicate', message: `job ${id.data} is already running` });
      const call = parseCall(method, args, { longOnly: true });
      if (!call.ok) return refuse(call.error);
      const sender = event.sender;
      const emit = (e: JobEvent) => {
        if (!sender.isDestroyed()) sender.send(opts.jobEventChannel, id.data, e);
      };
      jobs.set(id.data, sender);
      // A window that goes away (closed, reloaded, crashed) cancels its jobs rather than leaving the engine busy for nobody.
      const onGone = () => engine.cancel(id.data);
      sender.once('destroyed', onGone);
      void engine.request(call.method as LongMethod, call.args, (progress) => emit({ type: 'progress', progress }), id.data).then((reply) => {
        jobs.delete(id.data);
        if (!sender.isDestroyed()) sender.off('destroyed', onGone);
        emit(reply.ok ? { type: 'result', result: reply.result } : { type: 'error', error: reply.error });
      });
      return { ok: true, result: null };
    },

    async jobCancel(event, jobId) {
      if (!trusted(event)) return;
      const id = JobIdSchema.safeParse(jobId);
      // Only the page that started a job may cancel it.
      if (id.success && jobs.get(id.data) === event.sender) engine.cancel(id.data);
    },

    async pickPath(event, kind) {
      if (!trusted(event)) return null;
      const k = PathKindSchema.safeParse(kind);
      return k.success ? opts.choosePath(event, k.data) : null;
    },
  };
}
