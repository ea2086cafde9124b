// Builds the engine and the renderer when their outputs are missing or older than the sources.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function stale(output, sources) {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  return sources.some((s) => existsSync(join(root, s)) && newest(join(root, s)) > built);
}

export function buildIfNeeded() {
  if (stale(join(root, 'dist/main/cli.js'), ['main', 'electron'])) {
    process.stderr.write('building the engine…\n');
    execSync('npm run -s build:engine', { cwd: root, stdio: 'inherit' });
  }
  if (stale(join(root, 'dist/renderer/index.html'), ['renderer'])) {
    process.stderr.write('building the renderer…\n');
    execSync('npm run -s build:renderer', { cwd: root, stdio: 'inherit' });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfNeeded();
