import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/**
 * The renderer needs nothing beyond its own origin: no inline scripts or styles, no remote fonts or CDNs.
 * React (and recharts through it) sets styles through the CSSOM, which style-src does not restrict, so
 * 'unsafe-inline' is not needed; the browser test fails on any CSP violation.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Content types of what Vite emits. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export type StaticLookup =
  | { ok: true; file: string; size: number; contentType: string; cacheControl: string }
  | { ok: false; status: 400 | 404; message: string };

/**
 * Maps a URL path to a file of the built renderer, for browser mode's HTTP server and Electron's app://
 * protocol alike. Paths that decode outside the folder (`..`, encoded slashes, NUL) are refused; an
 * extension-less path that is not a file is a view of the one-page app and gets index.html.
 */
export async function lookupStaticFile(root: string, pathname: string): Promise<StaticLookup> {
  const base = resolve(root);
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, status: 400, message: 'malformed URL' };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400, message: 'malformed URL' };
  let file = resolve(join(base, decoded));
  if (file !== base && !file.startsWith(base + sep)) return { ok: false, status: 404, message: 'not found' };
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) {
    if (extname(decoded) !== '') return { ok: false, status: 404, message: `${decoded} not found` };
    file = join(base, 'index.html');
    info = await stat(file).catch(() => null);
    if (!info?.isFile()) return { ok: false, status: 404, message: `${decoded} not found` };
  }
  return {
    ok: true,
    file,
    size: info.size,
    contentType: MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    // Vite fingerprints everything under assets/; index.html must be re-read to pick up a rebuild.
    cacheControl: file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
}
