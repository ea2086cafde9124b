import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { CONTENT_SECURITY_POLICY, MIME_TYPES } from '../main/server.js';

/** The renderer's origin inside Electron: a privileged standard scheme, so 'self' in the CSP means it. */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://saegim`;

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/**
 * Serves the built renderer from disk (or app.asar) under app://saegim/, with the same CSP as browser
 * mode. Paths outside the renderer folder are refused; unknown paths fall back to index.html.
 */
export function serveRenderer(rendererDir: string): void {
  const root = resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'saegim') return new Response('not found', { status: 404 });
    let file = resolve(join(root, decodeURIComponent(url.pathname)));
    if (file !== root && !file.startsWith(root + sep)) return new Response('not found', { status: 404 });
    if (!existsSync(file) || statSync(file).isDirectory()) {
      if (extname(file) !== '' && !file.endsWith(sep)) return new Response('not found', { status: 404 });
      file = join(root, 'index.html');
    }
    const body = await net.fetch(pathToFileURL(file).toString());
    return new Response(body.body, {
      status: 200,
      headers: {
        'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });
}
