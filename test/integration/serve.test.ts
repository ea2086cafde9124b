import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin/saegim');

let work: string;
const started = new Set<ChildProcess>();

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'saegim-serve-'));
});
afterAll(() => {
  // Whatever a failed test left running must not keep its port (or the test run) alive.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts a command and resolves once it prints the app's URL. */
function startUntilUrl(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, SAEGIM_HOME: work, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(child);
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      fail(new Error(`no URL printed:\n${out}`));
    }, 120_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /Saegim is running at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        done({ child, url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code} before printing a URL:\n${out}`));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, SAEGIM_HOME: work, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const portOf = (url: string) => Number(new URL(url).port);

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function listCollections(url: string, token: string): Promise<Response> {
  return fetch(new URL('/api/call/listCollections', url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: '[]',
  });
}

describe('saegim serve', () => {
  it('prints the URL with its token, takes a fixed one from --token or SAEGIM_TOKEN, and frees the port on SIGTERM', async () => {
    const fixed = 'script-token-0123456789abcdef';
    for (const [args, env] of [
      [['--token', fixed], {}],
      [[], { SAEGIM_TOKEN: fixed }],
    ] as Array<[string[], NodeJS.ProcessEnv]>) {
      const s = await startUntilUrl(process.execPath, [CLI, 'serve', '--port', '0', '--no-demo', '--db', join(work, 'a.db'), ...args], env);
      expect(s.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/\\?token=${fixed}$`));
      expect((await listCollections(s.url, fixed)).status).toBe(200);
      expect((await listCollections(s.url, 'wrong-token-0123456789')).status).toBe(401);
      s.child.kill('SIGTERM');
      expect(await waitFor(() => portFree(portOf(s.url)))).toBe(true);
    }
    const random = await startUntilUrl(process.execPath, [CLI, 'serve', '--port', '0', '--no-demo', '--db', join(work, 'a.db')]);
    const token = new URL(random.url).searchParams.get('token')!;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect((await listCollections(random.url, token)).status).toBe(200);
    random.child.kill('SIGINT');
    expect(await waitFor(() => portFree(portOf(random.url)))).toBe(true);
  });

  it('says in one line that the port is taken and how to choose another', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run(['serve', '--port', String(port), '--no-demo', '--db', join(work, 'b.db')]);
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port}`);
      expect(lines[0]).toContain('--port');
      expect(r.stderr).not.toMatch(/EADDRINUSE|\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('refuses a weak --token and a malformed --port in one line', async () => {
    const weak = await run(['serve', '--port', '0', '--token', 'short', '--db', join(work, 'c.db')]);
    expect(weak.code).toBe(1);
    expect(weak.stderr.trim().split('\n')).toHaveLength(1);
    expect(weak.stderr).toMatch(/token must be 16 to 256 characters/);
    const port = await run(['serve', '--port', 'abc', '--db', join(work, 'c.db')]);
    expect(port.code).toBe(1);
    expect(port.stderr).toMatch(/--port.*expected a port number/);
    expect(port.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm start in browser mode', () => {
  it('prints the URL with the token, and a SIGTERM to npm stops the server it started', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const s = await startUntilUrl(npm, ['start', '--', '--port', '0', '--no-demo', '--db', join(work, 'd.db')], { SAEGIM_BROWSER_MODE: '1' });
    const token = new URL(s.url).searchParams.get('token')!;
    expect((await listCollections(s.url, token)).status).toBe(200);
    const port = portOf(s.url);
    s.child.kill('SIGTERM');
    expect(await waitFor(() => portFree(port))).toBe(true);
  }, 150_000);

  it('frees the port even when the start script itself is killed outright', async () => {
    const s = await startUntilUrl(process.execPath, [join(ROOT, 'scripts/start.mjs'), '--port', '0', '--no-demo', '--db', join(work, 'e.db')], { SAEGIM_BROWSER_MODE: '1' });
    const port = portOf(s.url);
    s.child.kill('SIGKILL');
    expect(await waitFor(() => portFree(port))).toBe(true);
    expect(alive(s.child.pid!)).toBe(false);
  }, 150_000);
});
