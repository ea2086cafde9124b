import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../fixtures/tiny-model.js';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, artifactPath, builtRenderer, chromiumMissing, shot } from './harness.js';

/**
 * Browser mode as a user gets it: `saegim serve` on a fresh database, the real engine, the bundled demo
 * corpus imported and indexed on first run, Chromium typing a Korean question.
 */
const BUNDLED_MODEL = join(ROOT, 'assets', 'models', 'saegim-dlm-mini-ko');
const skip = chromiumMissing();

let work: string;
let server: ChildProcess;
let url: string;
let browser: Browser;
let page: Page;

async function startServe(modelDir: string): Promise<string> {
  server = spawn(process.execPath, [join(ROOT, 'bin', 'saegim'), 'serve', '--port', '0', '--db', join(work, 'saegim.db'), '--model', modelDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`saegim serve did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.on('exit', (code) => reject(new Error(`saegim serve exited with ${code}:\n${output}`)));
  });
}

describe.skipIf(skip !== null)('browser mode on the real engine', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'saegim-e2e-'));
    await builtRenderer();
    let model = BUNDLED_MODEL;
    if (!existsSync(join(model, 'model.onnx'))) {
      model = join(work, 'tiny');
      await writeTinyModel(model, { hiddenSize: 32 });
    }
    url = await startServe(model);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, locale: 'ko-KR' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('imports and indexes the demo collection on first run', async () => {
    await page.goto(url);
    const deadline = Date.now() + 240_000;
    let state = '';
    while (Date.now() < deadline) {
      const info = await (await fetch(`${url}/api/call/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' })).json();
      state = info.result?.bootstrap?.state ?? '';
      if (state === 'done' || state === 'failed') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(state).toBe('done');
    const list = await (await fetch(`${url}/api/call/listCollections`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' })).json();
    expect(list.result[0]).toMatchObject({ name: 'demo-ko', passages: 300, queries: 150, indexed: 300 });
  }, 300_000);

  it('shows results in every column for a Korean question, then the alignment heatmap and contributions', async () => {
    await page.reload();
    const box = page.getByLabel('질의', { exact: true });
    await box.waitFor();
    await box.fill('조선 시대에 백성을 위해 새 글자를 만든 임금은 누구인가?');
    await box.press('Enter');
    await page.getByTestId('results').waitFor();
    for (const method of ['mvr', 'bm25', 'svr', 'hybrid']) {
      await expect.poll(() => page.locator(`[data-column="${method}"] .hit`).count(), { timeout: 30_000, message: method }).toBeGreaterThan(0);
    }
    const top = await page.locator('[data-column="bm25"] .hit').first().getAttribute('data-doc');
    expect(top).toMatch(/^hist-/);
    await shot(page, artifactPath('real-search.png'));

    await page.locator('[data-column="mvr"] .hit').first().click();
    await page.getByTestId('heatmap').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="contributions"] .recharts-bar-rectangle').first().waitFor();
    const score = Number(await page.getByTestId('maxsim-score').textContent());
    const sum = Number(/(-?\d+\.\d+)/.exec((await page.getByTestId('contribution-sum').textContent())!)![1]);
    expect(score).toBeGreaterThan(0);
    expect(sum).toBeCloseTo(score, 3);
    expect(await page.locator('[data-testid="passage-text"] .tok').count()).toBeGreaterThan(20);
    await shot(page, artifactPath('real-alignment.png'));
  }, 120_000);

  it('runs an evaluation of the demo questions and shows the metrics table', async () => {
    await page.getByRole('tab', { name: /평가/ }).click();
    await page.getByTestId('run-eval').click();
    await page.getByTestId('metric-table').waitFor({ timeout: 180_000 });
    const rows = await page.locator('[data-testid="metric-table"] tbody tr[data-method]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-method')));
    expect(rows).toEqual(expect.arrayContaining(['mvr', 'bm25', 'svr', 'hybrid']));
    const bm25 = await page.locator('[data-testid="metric-table"] tr[data-method="bm25"] td').allTextContents();
    expect(Number(bm25[2])).toBeGreaterThan(0.5);
    await shot(page, artifactPath('real-evaluate.png'));
  }, 240_000);
});

if (skip) console.log(`browser tests skipped: ${skip}`);
