// `npm start`: the Electron window where Electron's binary is installed, otherwise browser mode.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { buildIfNeeded } from './build-if-needed.mjs';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
buildIfNeeded();

function electronBinary() {
  try {
    const dir = join(require.resolve('electron/package.json'), '..');
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const args = process.argv.slice(2);
const electron = process.env.SAEGIM_BROWSER_MODE ? null : electronBinary();
const child = electron
  ? spawn(electron, [join(root, 'dist/electron/main.js'), ...args], { stdio: 'inherit' })
  : (process.stderr.write('Electron is not installed here (see README: `npm run electron:install`); starting browser mode.\n'),
    // The IPC channel tells `saegim serve` when this process is gone, however it went (even SIGKILL).
    spawn(process.execPath, [join(root, 'bin/saegim'), 'serve', ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] }));

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
  // A child that does not close in time is killed, so the port is always freed.
  setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
}

child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 0)));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal === 'SIGHUP' ? 'SIGTERM' : signal));
// `npm start` runs this under `sh -c`; a SIGTERM to npm ends npm and the shell but not this process, which
// is then re-parented. Noticing that is the only way to hear about it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop('SIGTERM');
}, 500).unref();
