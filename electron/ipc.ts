import { BrowserWindow, dialog, ipcMain, type WebContents } from 'electron';
import { CHANNELS } from './channels.js';
import type { EngineLink } from './engine-connection.js';
import { createIpcHandlers, type IpcEventLike } from './ipc-handlers.js';

/** Registers the bridge's handlers (ipc-handlers.ts) with Electron; returns a function that removes them. */
export function registerIpc(engine: EngineLink, isTrustedUrl: (url: string) => boolean): () => void {
  const handlers = createIpcHandlers({
    engine,
    isTrustedUrl,
    jobEventChannel: CHANNELS.jobEvent,
    async choosePath(event: IpcEventLike, kind) {
      const window = BrowserWindow.fromWebContents(event.sender as WebContents);
      const options: Electron.OpenDialogOptions = {
        title: kind === 'folder' ? '폴더 선택' : '파일 선택',
        properties: kind === 'folder' ? ['openDirectory'] : ['openFile'],
        ...(kind === 'file' ? { filters: [{ name: 'Datasets', extensions: ['json', 'jsonl', 'txt', 'tsv'] }, { name: 'All files', extensions: ['*'] }] } : {}),
      };
      const chosen = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
    },
  });
  ipcMain.handle(CHANNELS.call, (event, method: unknown, args: unknown) => handlers.call(event, method, args));
  ipcMain.handle(CHANNELS.jobStart, (event, jobId: unknown, method: unknown, args: unknown) => handlers.jobStart(event, jobId, method, args));
  ipcMain.handle(CHANNELS.jobCancel, (event, jobId: unknown) => handlers.jobCancel(event, jobId));
  ipcMain.handle(CHANNELS.pickPath, (event, kind: unknown) => handlers.pickPath(event, kind));
  return () => {
    for (const channel of [CHANNELS.call, CHANNELS.jobStart, CHANNELS.jobCancel, CHANNELS.pickPath]) ipcMain.removeHandler(channel);
  };
}
