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
    spawn(process.execPath, [join(root, 'bin/saegim'), 'serve', ...args], { stdio: 'inherit' }));
child.on('exit', (code) => process.exit(code ?? 0));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
