import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFailure } from '../../main/cli.js';
import { SaegimError } from '../../main/contract/errors.js';
import { validatingApi } from '../../main/rpc/dispatch.js';
import { startServer } from '../../main/server.js';
import { SaegimService } from '../../main/service.js';

const CLI = fileURLToPath(new URL('../../bin/saegim', import.meta.url));
const DEMO = fileURLToPath(new URL('../../assets/datasets/demo-ko', import.meta.url));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'saegim-errors-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function saegim(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, SAEGIM_HOME: work, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |SqliteError/);

describe('the CLI on expected failures', () => {
  it('says in one line that a file is not a database', () => {
    const bad = join(work, 'bad.db');
    writeFileSync(bad, 'this is not a SQLite database, only some text long enough to have a header');
    const r = saegim(['list', '--db', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^saegim: opening .*bad\.db: the file is not a Saegim \(SQLite\) database/);
    noStack(r.stderr);
  });

  it('says in one line that the database folder cannot be made', () => {
    const file = join(work, 'plain-file');
    writeFileSync(file, 'x');
    const r = saegim(['list', '--db', join(file, 'sub', 'saegim.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot create the database's folder \(ENOTDIR\)/);
    noStack(r.stderr);
  });

  it('answers an unknown command or option with commander\'s line and a hint, exit code 1', () => {
    for (const args of [['frobnicate'], ['list', '--bogus']]) {
      const r = saegim(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: unknown (command|option)/);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
      noStack(r.stderr);
    }
  });

  it('prints an internal error in one line, with the stack only under SAEGIM_DEBUG=1', () => {
    const lines: string[] = [];
    const err = new TypeError('boom');
    const saved = process.env.SAEGIM_DEBUG;
    try {
      delete process.env.SAEGIM_DEBUG;
      expect(reportFailure(err, (l) => lines.push(l))).toBe(70);
      expect(lines.join('')).toBe('saegim: internal error: boom (run with SAEGIM_DEBUG=1 for details)\n');
      process.env.SAEGIM_DEBUG = '1';
      lines.length = 0;
      reportFailure(err, (l) => lines.push(l));
      expect(lines.join('')).toMatch(/TypeError: boom\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env.SAEGIM_DEBUG;
      else process.env.SAEGIM_DEBUG = saved;
    }
    lines.length = 0;
    expect(reportFailure(Object.assign(new Error('x'), { code: 'ENOENT', path: '/nowhere/file', syscall: 'open' }), (l) => lines.push(l))).toBe(1);
    expect(lines.join('')).toBe('saegim: /nowhere/file: no such file or folder (open)\n');
  });
});

describe('a database locked by another process', () => {
  it('fails the call with a one-line busy error naming the operation, 503 over HTTP', async () => {
    const dbPath = join(work, 'locked.db');
    const service = SaegimService.open({ dbPath, bundledDataDir: null, busyTimeoutMs: 100 });
    const holder = new Database(dbPath);
    holder.pragma('busy_timeout = 0');
    holder.exec('BEGIN IMMEDIATE');
    try {
      const api = validatingApi(service);
      const failure = await api.importDataset({ path: DEMO, name: 'demo' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(SaegimError);
      expect((failure as SaegimError).code).toBe('busy');
      expect((failure as SaegimError).message).toMatch(/^importDataset: the database is locked by another Saegim process/);
      expect((failure as SaegimError).message).not.toContain('\n');

      const server = await startServer(service, { port: 0, staticDir: work });
      try {
        const res = await fetch(`${server.url}/api/call/updateSettings`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify([{ threads: 2 }]),
        });
        expect(res.status).toBe(503);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('busy');
        expect(body.error.message).toMatch(/^updateSettings: the database is locked/);
      } finally {
        await server.close();
      }
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
      await service.close();
    }
  });
});
