import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, session, shell, utilityProcess } from 'electron';
import { defaultDbPath, packageVersion, rendererDir } from '../main/paths.js';
import { APP_ORIGIN, registerAppScheme, serveRenderer } from './app-protocol.js';
import { EngineConnection, type EngineChild } from './engine-connection.js';
import type { EngineOptions } from './engine-messages.js';
import { isAllowedExternalLink } from './external-links.js';
import { registerIpc } from './ipc.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** `electron dist/electron/main.js [--db FILE] [--model DIR] [--no-demo]`, as `npm start` passes them on. */
function engineOptions(argv: string[]): EngineOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[i + 1]! : null;
  };
  return { dbPath: value('--db') ?? defaultDbPath(), modelDir: value('--model'), demo: !argv.includes('--no-demo') };
}

const isAppUrl = (url: string) => url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`);

registerAppScheme();
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // A second window on the same database would fight the first over SQLite's write lock.
  app.quit();
} else {
  const options = engineOptions(process.argv);
  const engine = new EngineConnection(
    () =>
      utilityProcess.fork(join(here, 'engine-entry.cjs'), ['--engine-options', JSON.stringify(options)], {
        serviceName: 'Saegim engine',
        stdio: 'inherit',
      }) as unknown as EngineChild,
  );

  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // Every web contents, present and future: no new windows, no navigation away from the app, no webviews.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // The few links to the outside that the app renders open in the user's browser, never in the app;
      // anything else a page asks to open is dropped.
      if (isAllowedExternalLink(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  const createWindow = () => {
    const win = new BrowserWindow({
      width: 1440,
      height: 920,
      minWidth: 960,
      minHeight: 640,
      title: `새김 Saegim ${packageVersion()}`,
      backgroundColor: '#f5f6f8',
      show: false,
      webPreferences: {
        preload: join(here, 'preload.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        spellcheck: false,
      },
    });
    win.once('ready-to-show', () => win.show());
    void win.loadURL(`${APP_ORIGIN}/index.html`);
    return win;
  };

  void app.whenReady().then(() => {
    const ses = session.defaultSession;
    // No remote content: the app talks to nothing but its own origin and the engine over IPC.
    ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*'] }, (_details, callback) =>
      callback({ cancel: true }),
    );
    ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);

    serveRenderer(rendererDir());
    registerIpc(engine, isAppUrl);
    engine.start();
    createWindow();

    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    // Let the engine finish its SQLite transaction and close the database before the process ends.
    event.preventDefault();
    quitting = true;
    void engine.stop().finally(() => app.quit());
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
