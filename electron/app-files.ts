import { readFile } from 'node:fs/promises';
import { CONTENT_SECURITY_POLICY, lookupStaticFile } from '../main/static-files.js';

/** The renderer's origin inside Electron: a privileged standard scheme, so 'self' in the CSP means it. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'saegim';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * One app:// request answered from the built renderer, with the same file rules (static-files.ts) and
 * CSP as browser mode. Free of Electron so it is tested as it runs.
 */
export async function appProtocolResponse(rendererDir: string, requestUrl: string): Promise<Response> {
  const url = new URL(requestUrl);
  if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
  const found = await lookupStaticFile(rendererDir, url.pathname);
  if (!found.ok) return new Response(found.message, { status: found.status });
  return new Response(new Uint8Array(await readFile(found.file)), {
    status: 200,
    headers: {
      'Content-Type': found.contentType,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

