import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import type { OperationControl, Progress, SaegimApi } from './contract/api.js';
import {
  API_ARITY,
  API_PREFIX,
  httpStatusFor,
  isApiMethod,
  isLongOperation,
  toWireError,
  type ApiMethod,
  type JobEvent,
  type WireError,
} from './contract/wire.js';

export interface ServerOptions {
  /** 0 or absent picks a free port. */
  port?: number;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** Only loopback is accepted: the API can read any file the user can, so it must never face a network. */
  host?: '127.0.0.1';
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

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

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Content types of what Vite emits; shared with Electron's app:// protocol. */
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

/** Progress events closer together than this are coalesced: indexing reports per batch, the bar needs less. */
const PROGRESS_INTERVAL_MS = 50;
/** How long a finished job's outcome stays available to a late subscriber. */
const FINISHED_JOB_TTL_MS = 10 * 60_000;
const HEARTBEAT_MS = 15_000;

interface Job {
  id: string;
  method: ApiMethod;
  controller: AbortController;
  latest: Progress | null;
  outcome: Extract<JobEvent, { type: 'result' | 'error' }> | null;
  listeners: Set<(event: JobEvent) => void>;
  lastSent: number;
  pendingFlush: NodeJS.Timeout | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly wire: WireError,
  ) {
    super(wire.message);
  }
}

/**
 * Browser mode's HTTP server (wire format in http-protocol.ts): the built renderer plus the service API,
 * with long operations as jobs streaming progress over Server-Sent Events.
 */
export async function startServer(api: SaegimApi, opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`refusing to listen on ${String(host)}: browser mode binds 127.0.0.1 only`);
  const staticRoot = resolve(opts.staticDir);
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const jobs = new Map<string, Job>();
  const streams = new Set<ServerResponse>();
  let port = 0;

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    handle(req, res).catch((err: unknown) => {
      const wire = err instanceof HttpError ? err.wire : toWireError(err);
      const status = err instanceof HttpError ? err.status : httpStatusFor(wire.code);
      if (!res.headersSent) sendJson(res, status, { error: wire });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkOrigin(req, port);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) return handleApi(req, res, url.pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, { code: 'bad-input', message: `${req.method} is not allowed here` });
    }
    return serveStatic(req, res, url.pathname);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const parts = pathname.slice(API_PREFIX.length + 1).split('/').map(decodeURIComponent);
    const [kind, name, action] = parts;
    if (parts.length === 2 && kind === 'call') {
      requirePost(req);
      const method = knownMethod(name!);
      const args = await readArguments(req, method);
      const controller = new AbortController();
      // A plain call to a long operation still stops when the page that asked for it goes away.
      res.on('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const result = await invoke(method, args, isLongOperation(method) ? { signal: controller.signal } : undefined);
      sendJson(res, 200, { result: result ?? null });
      return;
    }
    if (parts.length === 2 && kind === 'jobs') {
      requirePost(req);
      const method = knownMethod(name!);
      if (!isLongOperation(method)) {
        throw new HttpError(404, { code: 'not-found', message: `${method} is not a long operation; use ${API_PREFIX}/call/${method}` });
      }
      const args = await readArguments(req, method);
      const job = startJob(method, args);
      sendJson(res, 202, { jobId: job.id });
      return;
    }
    if (parts.length === 3 && kind === 'jobs' && action === 'events') {
      if (req.method !== 'GET') throw new HttpError(405, { code: 'bad-input', message: 'job events are read with GET' });
      streamJob(req, res, findJob(name!));
      return;
    }
    if (parts.length === 3 && kind === 'jobs' && action === 'cancel') {
      requirePost(req);
      const job = findJob(name!);
      const running = job.outcome === null;
      if (running) job.controller.abort();
      sendJson(res, 200, { result: { cancelled: running } });
      return;
    }
    throw new HttpError(404, { code: 'not-found', message: `no API route ${pathname}` });
  }

  function knownMethod(name: string): ApiMethod {
    if (!isApiMethod(name)) throw new HttpError(404, { code: 'not-found', message: `unknown API method "${name}"` });
    return name;
  }

  function findJob(id: string): Job {
    const job = jobs.get(id);
    if (!job) throw new HttpError(404, { code: 'not-found', message: `no job ${id} (finished jobs are kept for 10 minutes)` });
    return job;
  }

  async function readArguments(req: IncomingMessage, method: ApiMethod): Promise<unknown[]> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new HttpError(415, { code: 'bad-input', message: 'API requests must be sent as application/json' });
    }
    const text = await readBody(req, maxBody);
    let args: unknown;
    try {
      args = text.trim() === '' ? [] : JSON.parse(text);
    } catch (err) {
      throw new HttpError(400, { code: 'bad-input', message: `request body is not JSON: ${(err as Error).message}` });
    }
    if (!Array.isArray(args)) throw new HttpError(400, { code: 'bad-input', message: 'request body must be a JSON array of arguments' });
    if (args.length > API_ARITY[method]) {
      throw new HttpError(400, { code: 'bad-input', message: `${method} takes ${API_ARITY[method]} argument(s), got ${args.length}` });
    }
    return args;
  }

  function invoke(method: ApiMethod, args: unknown[], ctl: OperationControl | undefined): Promise<unknown> {
    const fn = api[method] as (...a: unknown[]) => Promise<unknown>;
    const padded = [...args];
    while (padded.length < API_ARITY[method]) padded.push(undefined);
    return Promise.resolve().then(() => fn.apply(api, ctl ? [...padded, ctl] : padded));
  }

  function startJob(method: ApiMethod, args: unknown[]): Job {
    const job: Job = {
      id: randomUUID(),
      method,
      controller: new AbortController(),
      latest: null,
      outcome: null,
      listeners: new Set(),
      lastSent: 0,
      pendingFlush: null,
    };
    jobs.set(job.id, job);
    const flush = () => {
      if (job.pendingFlush) clearTimeout(job.pendingFlush);
      job.pendingFlush = null;
      job.lastSent = Date.now();
      if (job.latest) emit(job, { type: 'progress', progress: job.latest });
    };
    const onProgress = (progress: Progress) => {
      if (job.outcome) return;
      job.latest = { ...progress };
      const wait = PROGRESS_INTERVAL_MS - (Date.now() - job.lastSent);
      if (wait <= 0) flush();
      else job.pendingFlush ??= setTimeout(flush, wait);
    };
    const finish = (outcome: NonNullable<Job['outcome']>) => {
      if (job.pendingFlush) flush();
      job.outcome = outcome;
      emit(job, outcome);
      job.listeners.clear();
      setTimeout(() => jobs.delete(job.id), FINISHED_JOB_TTL_MS).unref();
    };
    invoke(method, args, { onProgress, signal: job.controller.signal }).then(
      (result) => finish({ type: 'result', result: result ?? null }),
      (err: unknown) => finish({ type: 'error', error: toWireError(err) }),
    );
    return job;
  }

  function emit(job: Job, event: JobEvent): void {
    for (const listener of job.listeners) listener(event);
  }

  function streamJob(req: IncomingMessage, res: ServerResponse, job: Job): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
    });
    const write = (event: JobEvent) => {
      const data = event.type === 'progress' ? event.progress : event.type === 'result' ? { result: event.result } : { error: event.error };
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    res.write('retry: 2000\n\n');
    if (job.latest) write({ type: 'progress', progress: job.latest });
    if (job.outcome) {
      write(job.outcome);
      res.end();
      return;
    }
    streams.add(res);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const listener = (event: JobEvent) => {
      write(event);
      if (event.type !== 'progress') res.end();
    };
    job.listeners.add(listener);
    const detach = () => {
      clearInterval(heartbeat);
      job.listeners.delete(listener);
      streams.delete(res);
    };
    res.on('close', detach);
    req.on('close', detach);
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      throw new HttpError(400, { code: 'bad-input', message: 'malformed URL' });
    }
    if (decoded.includes('\0')) throw new HttpError(400, { code: 'bad-input', message: 'malformed URL' });
    let file = resolve(join(staticRoot, decoded));
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
      throw new HttpError(404, { code: 'not-found', message: 'not found' });
    }
    let info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => null);
    }
    if (!info?.isFile()) {
      // The app is one page: an extension-less path that is not a file is a view of it.
      if (extname(decoded) === '') {
        file = join(staticRoot, 'index.html');
        info = await stat(file).catch(() => null);
      }
      if (!info?.isFile()) throw new HttpError(404, { code: 'not-found', message: `${decoded} not found` });
    }
    const type = MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': info.size,
      // Vite fingerprints everything under assets/; index.html must be re-read to pick up a rebuild.
      'Cache-Control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((done, fail) => {
      createReadStream(file).on('error', fail).pipe(res).on('finish', done).on('error', fail);
    });
  }

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', fail);
      done();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    async close() {
      for (const job of jobs.values()) if (!job.outcome) job.controller.abort();
      for (const res of streams) res.end();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

function requirePost(req: IncomingMessage): void {
  if (req.method !== 'POST') throw new HttpError(405, { code: 'bad-input', message: 'API calls use POST' });
}

/**
 * A page on another site can still make the browser send requests to 127.0.0.1, and DNS rebinding can make
 * it look same-origin; both are refused by checking Host, Origin and Sec-Fetch-Site.
 */
function checkOrigin(req: IncomingMessage, port: number): void {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const hostHeader = (req.headers.host ?? '').toLowerCase();
  if (!allowedHosts.includes(hostHeader)) {
    throw new HttpError(403, { code: 'bad-input', message: `unexpected Host "${hostHeader}"` });
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && !allowedHosts.some((h) => origin === `http://${h}`)) {
    throw new HttpError(403, { code: 'bad-input', message: `cross-origin request from ${origin} refused` });
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, { code: 'bad-input', message: `cross-site request refused (${String(site)})` });
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((done, fail) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      fail(new HttpError(413, { code: 'bad-input', message: `request body over ${limit} bytes` }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but keep draining, so the 413 can still be written to the socket.
        req.off('data', collect);
        req.resume();
        fail(new HttpError(413, { code: 'bad-input', message: `request body over ${limit} bytes` }));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', collect);
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
