// Downloads Electron's binary, which the default install skips so that installs work offline-from-GitHub.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const installer = join(require.resolve('electron/package.json'), '..', 'install.js');
const env = { ...process.env };
delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
process.exit(spawnSync(process.execPath, [installer], { stdio: 'inherit', env }).status ?? 1);
