// The only bridge between the sandboxed page and the app: a typed API over four IPC channels. CommonJS
// because sandboxed preloads cannot be ES modules; self-contained because they cannot require local files
// (channel names mirror channels.ts).
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { SaegimBridge } from '../main/contract/bridge.js';
import type { JobEvent } from '../main/contract/wire.js';

const CHANNELS = {
  call: 'saegim:call',
  jobStart: 'saegim:job-start',
  jobCancel: 'saegim:job-cancel',
  jobEvent: 'saegim:job-event',
  pickPath: 'saegim:pick-path',
} as const;

const bridge: SaegimBridge = {
  call: (method, args) => ipcRenderer.invoke(CHANNELS.call, method, args),
  startJob: (jobId, method, args) => ipcRenderer.invoke(CHANNELS.jobStart, jobId, method, args),
  cancelJob: (jobId) => ipcRenderer.invoke(CHANNELS.jobCancel, jobId),
  onJobEvent(listener) {
    // Wrapped so the page never sees the IpcRendererEvent (it exposes `sender`, i.e. ipcRenderer itself).
    const handler = (_event: IpcRendererEvent, jobId: string, event: JobEvent) => listener(jobId, event);
    ipcRenderer.on(CHANNELS.jobEvent, handler);
    return () => {
      ipcRenderer.removeListener(CHANNELS.jobEvent, handler);
    };
  },
  pickPath: (kind) => ipcRenderer.invoke(CHANNELS.pickPath, kind),
  pathForFile: (file) => webUtils.getPathForFile(file) || null,
};

contextBridge.exposeInMainWorld('saegim', bridge);
