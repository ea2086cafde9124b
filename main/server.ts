import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { isLongMethod, type LongMethod, type SaegimApi } from './contract/methods.js';
import { API_PREFIX, httpStatusFor, toWireError, type JobEvent, type WireError } from './contract/wire.js';
import { invoke, parseCall, type ValidCall } from './rpc/dispatch.js';
import { JobRegistry, type JobRegistryOptions, type RunningJob } from './rpc/jobs.js';
import { CONTENT_SECURITY_POLICY, lookupStaticFile } from './static-files.js';

export interface ServerOptions {
  /** 0 or absent picks a free port. */
  port?: number;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** Only loopback is accepted: the API can read any file the user can, so it must never face a network. */
  host?: '127.0.0.1';
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** The API token; a fresh random one when absent (tests pass their own). */
  token?: string;
  jobs?: JobRegistryOptions;
}

export interface RunningServer {
  /** The origin, `http://127.0.0.1:PORT`. */
  url: string;
  /** What a person opens: the origin with `?token=…`, which the page trades for a cookie. */
  pageUrl: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const HEARTBEAT_MS = 15_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly wire: WireError,
  ) {
    super(wire.message);
  }
}

/** 128 bits at least, as Jupyter's; hex so it survives URLs, headers and cookies unescaped. */
export function newApiToken(): string {
  return randomBytes(24).toString('hex');
}

/** Constant-time comparison: hashing first makes both sides the same length whatever was sent. */
function tokenMatches(expected: string, given: string | null): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * Browser mode's HTTP server (wire format in contract/wire.ts): the built renderer plus the API, with long
 * operations as jobs streaming progress over Server-Sent Events. Every API request needs the server's token
 * (`Authorization: Bearer`, or the cookie the page got by opening `pageUrl`): other local users and
 * processes can reach 127.0.0.1 too.
 */
export async function startServer(api: SaegimApi, opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`refusing to listen on ${String(host)}: browser mode binds 127.0.0.1 only`);
  const staticRoot = resolve(opts.staticDir);
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const token = opts.token ?? newApiToken();
  const jobs = new JobRegistry(api, opts.jobs);
  const streams = new Set<ServerResponse>();
  let port = 0;
  // Cookies ignore ports: a name per port keeps two Saegim servers on one machine from overwriting each other.
  const cookieName = () => `saegim-token-${port}`;

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
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      checkToken(req);
      return handleApi(req, res, url.pathname);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError(405, { code: 'bad-input', message: `${req.method} is not allowed here` });
    }
    const offered = url.searchParams.get('token');
    if (offered !== null) return acceptPageToken(res, url, offered);
    return serveStatic(req, res, url.pathname);
  }

  function presentedToken(req: IncomingMessage): string | null {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === cookieName()) return value.join('=');
    }
    return null;
  }

  function checkToken(req: IncomingMessage): void {
    if (!tokenMatches(token, presentedToken(req))) {
      throw new HttpError(401, {
        code: 'unauthorized',
        message: 'this API needs the token printed by `saegim serve` (open its URL, or send Authorization: Bearer <token>)',
      });
    }
  }

  /** Trades `?token=` for an HttpOnly cookie and redirects to the same page without it (out of history and Referer). */
  function acceptPageToken(res: ServerResponse, url: URL, offered: string): void {
    if (!tokenMatches(token, offered)) throw new HttpError(401, { code: 'unauthorized', message: 'wrong token in the URL: open the URL that `saegim serve` printed' });
    url.searchParams.delete('token');
    res.writeHead(303, {
      'Set-Cookie': `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      Location: `${url.pathname}${url.search}${url.hash}`,
      'Cache-Control': 'no-store',
    });
    res.end();
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    let parts: string[];
    try {
      parts = pathname.slice(API_PREFIX.length + 1).split('/').map(decodeURIComponent);
    } catch {
      throw new HttpError(400, { code: 'bad-input', message: `malformed escape in ${pathname}` });
    }
    const [kind, name, action] = parts;
    if (parts.length === 2 && kind === 'call') {
      requirePost(req);
      const call = await readCall(req, name!);
      const controller = new AbortController();
      // A plain call to a long operation still stops when the client that asked for it goes away.
      res.on('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const result = await invoke(api, call, isLongMethod(call.method) ? { signal: controller.signal } : undefined);
      sendJson(res, 200, { result: result ?? null });
      return;
    }
    if (parts.length === 2 && kind === 'jobs') {
      requirePost(req);
      if (!isLongMethod(name!)) {
        const known = parseCall(name, []);
        if (!known.ok && known.error.code === 'not-found') throw new HttpError(404, known.error);
        throw new HttpError(404, { code: 'not-found', message: `${name} is not a long operation; use ${API_PREFIX}/call/${name}` });
      }
      const call = (await readCall(req, name)) as ValidCall & { method: LongMethod };
      sendJson(res, 202, { jobId: jobs.start(call).id });
      return;
    }
    if (parts.length === 3 && kind === 'jobs' && action === 'events') {
      if (req.method !== 'GET') throw new HttpError(405, { code: 'bad-input', message: 'job events are read with GET' });
      streamJob(req, res, findJob(name!));
      return;
    }
    if (parts.length === 3 && kind === 'jobs' && action === 'cancel') {
      requirePost(req);
      sendJson(res, 200, { result: { cancelled: findJob(name!).cancel() } });
      return;
    }
    throw new HttpError(404, { code: 'not-found', message: `no API route ${pathname}` });
  }

  function findJob(id: string): RunningJob {
    const job = jobs.get(id);
    if (!job) throw new HttpError(404, { code: 'not-found', message: `no job ${id} (finished jobs are kept for 10 minutes)` });
    return job;
  }

  async function readCall(req: IncomingMessage, method: string): Promise<ValidCall> {
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
    const call = parseCall(method, args);
    if (!call.ok) throw new HttpError(httpStatusFor(call.error.code), call.error);
    return call;
  }

  function streamJob(req: IncomingMessage, res: ServerResponse, job: RunningJob): void {
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
    const unsubscribe = job.subscribe((event) => {
      write(event);
      if (event.type !== 'progress') res.end();
    });
    let detached = false;
    const detach = () => {
      if (detached) return;
      detached = true;
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    res.on('close', detach);
    req.on('close', detach);
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const found = await lookupStaticFile(staticRoot, pathname);
    if (!found.ok) throw new HttpError(found.status, { code: found.status === 400 ? 'bad-input' : 'not-found', message: found.message });
    res.writeHead(200, { 'Content-Type': found.contentType, 'Content-Length': found.size, 'Cache-Control': found.cacheControl });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((done, fail) => {
      createReadStream(found.file).on('error', fail).pipe(res).on('finish', done).on('error', fail);
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
  const origin = `http://${host}:${port}`;

  return {
    url: origin,
    pageUrl: `${origin}/?token=${token}`,
    token,
    port,
    async close() {
      jobs.cancelAll();
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
 * it look same-origin; both are refused by checking Host, Origin and Sec-Fetch-Site. `Origin: null` (a
 * sandboxed frame, a file:// page, a redirect chain) names no page of ours and is refused too.
 */
function checkOrigin(req: IncomingMessage, port: number): void {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const hostHeader = (req.headers.host ?? '').toLowerCase();
  if (!allowedHosts.includes(hostHeader)) {
    throw new HttpError(403, { code: 'bad-input', message: `unexpected Host "${hostHeader}"` });
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts.some((h) => origin === `http://${h}`)) {
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
