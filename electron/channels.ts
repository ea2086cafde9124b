/**
 * IPC channel names. preload.cts spells the same strings out (a sandboxed preload cannot load local
 * modules); test/browser/electron-ipc.test.ts checks that the two lists agree.
 */
export const CHANNELS = {
  call: 'saegim:call',
  jobStart: 'saegim:job-start',
  jobCancel: 'saegim:job-cancel',
  jobEvent: 'saegim:job-event',
  pickPath: 'saegim:pick-path',
} as const;
