import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { builtRenderer, ROOT } from './harness.js';

/** Electron's binary is an optional download (`npm run electron:install`); say why when it is absent. */
function electronUnavailable(): { binary: string | null; reason: string | null } {
  try {
    const dir = join(createRequire(import.meta.url).resolve('electron/package.json'), '..');
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) return { binary: null, reason: "Electron's binary is not installed (npm run electron:install)" };
    const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    if (!existsSync(binary)) return { binary: null, reason: `Electron's binary is missing at ${binary}` };
    if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
      return { binary: null, reason: 'no display to open a window on (run under xvfb-run)' };
    }
    if (!existsSync(join(ROOT, 'dist', 'electron', 'main.js'))) return { binary: null, reason: 'dist/electron is not built (npm run build:engine)' };
    return { binary, reason: null };
  } catch (err) {
    return { binary: null, reason: `the electron package cannot be resolved: ${(err as Error).message}` };
  }
}

const { binary, reason } = electronUnavailable();
if (reason) console.log(`Electron smoke test skipped: ${reason}`);

describe.skipIf(!!reason)('the Electron window', () => {
  it('opens the app sandboxed, with only the typed bridge exposed', async () => {
    await builtRenderer();
    const home = mkdtempSync(join(tmpdir(), 'saegim-electron-'));
    // Chromium refuses to start as root without this; the renderer's own sandbox option is separate.
    const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    const app = await _electron.launch({
      executablePath: binary!,
      args: [...rootArgs, join(ROOT, 'dist', 'electron', 'main.js'), '--db', join(home, 'saegim.db'), '--no-demo'],
      env: { ...process.env, SAEGIM_HOME: home } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      await page.getByRole('tab', { name: /검색/ }).waitFor({ timeout: 60_000 });
      expect(await page.title()).toContain('Saegim');
      expect(page.url()).toBe('app://saegim/index.html');
      const probe = await page.evaluate(async () => ({
        require: typeof (window as unknown as { require?: unknown }).require,
        process: typeof (window as unknown as { process?: unknown }).process,
        bridge: Object.keys(window.saegim ?? {}).sort(),
        info: await window.saegim!.call('info', []),
        refused: await window.saegim!.call('search', [{ collection: 1 }] as never),
      }));
      expect(probe.require).toBe('undefined');
      expect(probe.process).toBe('undefined');
      expect(probe.bridge).toEqual(['call', 'cancelJob', 'onJobEvent', 'pathForFile', 'pickPath', 'startJob']);
      expect(probe.info).toMatchObject({ ok: true });
      expect(probe.refused).toMatchObject({ ok: false, error: { code: 'bad-input' } });
      // Navigation away from the app and new windows are blocked.
      await page.evaluate(() => window.open('https://example.com'));
      expect(app.windows()).toHaveLength(1);
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
