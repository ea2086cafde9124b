import { protocol } from 'electron';
import { APP_SCHEME, appProtocolResponse } from './app-files.js';

export { APP_ORIGIN, APP_SCHEME } from './app-files.js';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the built renderer (from disk or app.asar, which Electron's fs reads) under app://saegim/. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => appProtocolResponse(rendererDir, request.url));
}
