// `npm run electron:install`: downloads Electron's binary, which `npm ci` never does. Electron is an optional
// dependency whose install script package.json's allowScripts denies, so installs need only the npm
// registry; an npm that ignores allowScripts runs the script, and where GitHub is out of reach the failed
// optional package is dropped. Either way this puts the package back if needed and runs its download.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'node_modules', 'electron');
const env = { ...process.env };
delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;

if (!existsSync(join(dir, 'install.js'))) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const version = lock.packages?.['node_modules/electron']?.version;
  if (!version) {
    process.stderr.write('electron:install: package-lock.json names no Electron version\n');
    process.exit(1);
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const add = spawnSync(npm, ['install', '--no-save', '--ignore-scripts', `electron@${version}`], { cwd: root, stdio: 'inherit', env });
  if (add.status !== 0) process.exit(add.status ?? 1);
}
const run = spawnSync(process.execPath, [join(dir, 'install.js')], { cwd: dir, stdio: 'inherit', env });
if (run.status === 0) process.stdout.write('Electron is installed: `npm start` now opens the desktop window.\n');
process.exit(run.status ?? 1);
