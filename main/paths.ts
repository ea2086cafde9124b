import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found from this file whether it runs as TypeScript (main/) or compiled (dist/main/).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'saegim') return dir;
    } catch {
      // not the root yet
    }
    dir = dirname(dir);
  }
  throw new Error('cannot locate the saegim package root');
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export const BUNDLED_MODEL = 'saegim-dlm-mini-ko';

/**
 * Files that native code opens by path (onnxruntime reads model.onnx itself) cannot live inside a
 * packaged app's asar archive; electron-builder unpacks them next to it.
 */
export function unpacked(path: string): string {
  return path.replace(/app\.asar(?=[\\/])/, 'app.asar.unpacked');
}

export function bundledModelDir(): string {
  return unpacked(join(packageRoot(), 'assets', 'models', BUNDLED_MODEL));
}

export function bundledDatasetDir(): string {
  return join(packageRoot(), 'assets', 'datasets', 'demo-ko');
}

export function rendererDir(): string {
  return join(packageRoot(), 'dist', 'renderer');
}

/** The user's data folder, as desktop apps keep it on each platform; SAEGIM_HOME overrides it. */
export function dataDir(): string {
  if (process.env.SAEGIM_HOME) return resolve(process.env.SAEGIM_HOME);
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Saegim');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Saegim');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'saegim');
}

export function defaultDbPath(): string {
  return join(dataDir(), 'saegim.db');
}
