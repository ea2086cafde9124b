import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(ROOT + file, 'utf8');

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The lock's package paths reachable from `roots`, resolved as Node does (nearest node_modules upwards). */
function closure(packages: Record<string, LockEntry>, roots: string[]): Set<string> {
  const resolve = (from: string, name: string): string | null => {
    let base = from;
    for (;;) {
      const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (!base) return null;
      const at = base.lastIndexOf('/node_modules/');
      base = at >= 0 ? base.slice(0, at) : '';
    }
  };
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    const entry = packages[key]!;
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) {
      const next = resolve(key, name);
      if (next) stack.push(next);
    }
  }
  return seen;
}

describe('packaging and install configuration', () => {
  const pkg = JSON.parse(read('package.json')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    allowScripts?: Record<string, boolean>;
    scripts: Record<string, string>;
  };

  it('installs with the npm registry alone: Electron optional, its and onnxruntime-node\'s downloads not run by npm ci', () => {
    expect(pkg.optionalDependencies?.electron).toBeDefined();
    expect(pkg.devDependencies.electron).toBeUndefined();
    expect(pkg.allowScripts?.electron).toBe(false);
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    expect(pkg.allowScripts?.['better-sqlite3']).toBe(true);
    expect(read('.npmrc')).toMatch(/^onnxruntime-node-install=skip$/m);
    const ci = read('.ci/run');
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).not.toMatch(/ELECTRON_SKIP_BINARY_DOWNLOAD|ONNXRUNTIME_NODE_INSTALL/);
  });

  it('keeps Electron and what only its installer needs out of the packaged app', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> };
    const prod = closure(lock.packages, Object.keys(pkg.dependencies).map((n) => `node_modules/${n}`));
    const electronOnly = [...closure(lock.packages, ['node_modules/electron'])]
      .filter((p) => !prod.has(p) && p.split('node_modules/').length === 2)
      .map((p) => p.slice('node_modules/'.length))
      .sort();
    const excluded = [...read('electron-builder.yml').matchAll(/^\s+- "!node_modules\/(.+)\/\*\*"$/gm)].map((m) => m[1]!).sort();
    expect(excluded).toEqual(electronOnly);
  });

  it('ships the native MaxSim kernel where the engine looks for it, outside the asar archive', async () => {
    const yaml = 'js-yaml';
    const { load } = (await import(yaml)) as { load: (text: string) => unknown };
    const config = load(read('electron-builder.yml')) as { files: string[]; asarUnpack: string[] };
    const { nativeMaxSimPath } = await import('../../main/search/native-maxsim.js');
    const shipped = relative(ROOT, nativeMaxSimPath());
    expect(shipped).toBe(join('dist', 'native', 'saegim_maxsim.node'));
    expect(config.files).toContain('dist/native/*.node');
    expect(config.asarUnpack).toContain('**/*.node');
    expect(pkg.scripts['build:engine']).toMatch(/scripts\/build-native\.mjs/);
  });

  it('passes electron-builder\'s own schema check', async () => {
    // electron-builder's own YAML reader (a dependency of it, without types of its own).
    const yaml = 'js-yaml';
    const { load } = (await import(yaml)) as { load: (text: string) => unknown };
    const { validateConfiguration } = (await import('app-builder-lib/out/util/config/config.js')) as unknown as {
      validateConfiguration: (config: unknown, debugLogger: { add: () => void; isEnabled: boolean }) => Promise<void>;
    };
    await expect(validateConfiguration(load(read('electron-builder.yml')), { add: () => undefined, isEnabled: false })).resolves.toBeUndefined();
  });

  it('flips the hardening fuses in the packaged binary', () => {
    const yml = read('electron-builder.yml');
    const block = /^electronFuses:\n((?: {2}.+\n)+)/m.exec(yml)?.[1] ?? '';
    const fuses = Object.fromEntries([...block.matchAll(/^ {2}(\w+): (true|false)$/gm)].map((m) => [m[1], m[2] === 'true']));
    expect(fuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });
});
