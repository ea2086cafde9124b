import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { JobEvent, WireError } from '../main/contract/wire.js';
import type { BridgeReply } from '../main/contract/bridge.js';
import { CHANNELS } from './channels.js';
import type { EngineConnection } from './engine-connection.js';
import { JobIdSchema, parseCall, PathKindSchema } from './ipc-schemas.js';

const refuse = (error: WireError): BridgeReply => ({ ok: false, error });

/**
 * Wires the preload bridge to the engine. Every handler checks that the message comes from our own page
 * and parses its arguments with zod (ipc-schemas.ts) before anything reaches the engine process.
 * Returns a function that removes the handlers.
 */
export function registerIpc(engine: EngineConnection, isTrustedUrl: (url: string) => boolean): () => void {
  const trusted = (event: IpcMainInvokeEvent) => {
    const url = event.senderFrame?.url ?? '';
    return event.senderFrame?.parent === null && isTrustedUrl(url);
  };
  const untrusted: BridgeReply = { ok: false, error: { code: 'bad-input', message: 'IPC from an unexpected page refused' } };
  const jobs = new Map<string, WebContents>();

  ipcMain.handle(CHANNELS.call, async (event, method: unknown, args: unknown): Promise<BridgeReply> => {
    if (!trusted(event)) return untrusted;
    const call = parseCall(method, args);
    if (!call.ok) return refuse(call.error);
    return engine.request(call.method, call.args);
  });

  ipcMain.handle(CHANNELS.jobStart, async (event, jobId: unknown, method: unknown, args: unknown): Promise<BridgeReply> => {
    if (!trusted(event)) return untrusted;
    const id = JobIdSchema.safeParse(jobId);
    if (!id.success) return refuse({ code: 'bad-input', message: 'job id must be a UUID' });
    if (jobs.has(id.data)) return refuse({ code: 'duplicate', message: `job ${id.data} is already running` });
    const call = parseCall(method, args, { longOnly: true });
    if (!call.ok) return refuse(call.error);
    const sender = event.sender;
    const emit = (e: JobEvent) => {
      if (!sender.isDestroyed()) sender.send(CHANNELS.jobEvent, id.data, e);
    };
    jobs.set(id.data, sender);
    // A window that goes away cancels its jobs rather than leaving the engine busy for nobody.
    const onGone = () => engine.cancel(id.data);
    sender.once('destroyed', onGone);
    void engine
      .request(call.method, call.args, (progress) => emit({ type: 'progress', progress }), id.data)
      .then((reply) => {
        jobs.delete(id.data);
        if (!sender.isDestroyed()) sender.off('destroyed', onGone);
        emit(reply.ok ? { type: 'result', result: reply.result } : { type: 'error', error: reply.error });
      });
    return { ok: true, result: null };
  });

  ipcMain.handle(CHANNELS.jobCancel, async (event, jobId: unknown): Promise<void> => {
    if (!trusted(event)) return;
    const id = JobIdSchema.safeParse(jobId);
    // Only the page that started a job may cancel it.
    if (id.success && jobs.get(id.data) === event.sender) engine.cancel(id.data);
  });

  ipcMain.handle(CHANNELS.pickPath, async (event, kind: unknown): Promise<string | null> => {
    if (!trusted(event)) return null;
    const k = PathKindSchema.safeParse(kind);
    if (!k.success) return null;
    const window = BrowserWindow.fromWebContents(event.sender);
    const options: Electron.OpenDialogOptions = {
      title: k.data === 'folder' ? '폴더 선택' : '파일 선택',
      properties: k.data === 'folder' ? ['openDirectory'] : ['openFile'],
      ...(k.data === 'file' ? { filters: [{ name: 'Datasets', extensions: ['json', 'jsonl', 'txt', 'tsv'] }, { name: 'All files', extensions: ['*'] }] } : {}),
    };
    const chosen = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
    return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
  });

  return () => {
    for (const channel of [CHANNELS.call, CHANNELS.jobStart, CHANNELS.jobCancel, CHANNELS.pickPath]) ipcMain.removeHandler(channel);
  };
}
