import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, shot, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, startAppServer, type AppServer } from './harness.js';

const missing = chromiumMissing();
if (missing) console.warn(`browser tests skipped: ${missing}`);

describe.skipIf(!!missing)('the app in Chromium (browser mode)', () => {
  let app: AppServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    app = await startAppServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'ko-KR', acceptDownloads: true });
    page = await context.newPage();
    // Console errors include Content-Security-Policy violations: the renderer must need no exception.
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.goto(app.url);
    await page.getByLabel('질의', { exact: true }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  // Counted at the HTTP boundary, so the assertions hold whichever engine sits behind the server.
  const requests: string[] = [];
  const calls = (method: string) => requests.filter((path) => path === `/api/call/${method}`).length;

  it('does not submit while the IME is composing, then searches on Enter and fills every column', async () => {
    const box = page.getByLabel('질의', { exact: true });
    await box.click();
    await page.keyboard.type('한글을 창제한 왕은 누구인가');
    const before = calls('search');
    // The Enter that commits the last Hangul syllable.
    await box.dispatchEvent('keydown', { key: 'Enter', code: 'Enter', isComposing: true, bubbles: true });
    await box.evaluate((el) => el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Process', keyCode: 229, bubbles: true } as KeyboardEventInit)));
    await box.evaluate((el) => el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', keyCode: 229, bubbles: true } as KeyboardEventInit)));
    await page.waitForTimeout(300);
    expect(calls('search')).toBe(before);
    await page.keyboard.press('Enter');
    await page.getByTestId('results').waitFor();
    for (const method of ['mvr', 'bm25', 'svr', 'hybrid']) {
      expect(await page.locator(`[data-column="${method}"] .hit`).count(), method).toBeGreaterThan(0);
    }
    expect(await page.locator('[data-column="mvr"] .hit').first().getAttribute('data-doc')).toBe('d01');
    // BM25 is the reference: other columns carry ↑/↓/new/= markers, BM25 none.
    expect(await page.locator('[data-column="mvr"] .marker').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-column="bm25"] .marker').count()).toBe(0);
    const labels = await page.locator('.marker').allTextContents();
    expect(labels.every((l) => /^(↑\d+|↓\d+|new|=)$/.test(l))).toBe(true);
  });

  it('moves through results with the arrow keys', async () => {
    await page.getByLabel('질의', { exact: true }).focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('.hit.cursor').getAttribute('data-index')).toBe('0');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('.hit.cursor').getAttribute('data-index')).toBe('1');
    await page.keyboard.press('ArrowUp');
    expect(await page.locator('.hit.cursor').getAttribute('data-doc')).toBe('d01');
    // Across columns the cursor lands on the same passage, so its ranks can be compared.
    await page.keyboard.press('ArrowRight');
    expect(await page.locator('.hit.cursor').getAttribute('data-method')).toBe('bm25');
    expect(await page.locator('.hit.cursor').getAttribute('data-doc')).toBe('d01');
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator('.hit.cursor').getAttribute('data-method')).toBe('mvr');
    expect(await page.locator('.hit.cursor').getAttribute('data-doc')).toBe('d01');
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('search.png'));
  });

  it('opens the alignment of the selected passage: heatmap, shaded text, contributions summing to the score', async () => {
    await page.keyboard.press('Enter');
    await page.getByTestId('heatmap').waitFor();
    await page.locator('[data-testid="contributions"] .recharts-bar-rectangle').first().waitFor();
    const score = Number(await page.getByTestId('maxsim-score').textContent());
    const sumText = (await page.getByTestId('contribution-sum').textContent())!;
    const [sum, shown] = [...sumText.matchAll(/-?\d+\.\d{4}/g)].map((m) => Number(m[0]));
    expect(sum).toBeCloseTo(score, 4);
    expect(shown).toBeCloseTo(score, 4);
    const chips = await page.locator('[data-testid="query-chips"] .chip').count();
    expect(chips).toBeGreaterThan(4);
    expect(await page.locator('[data-testid="contributions"] .recharts-bar-rectangle').count()).toBe(chips);
    expect(await page.locator('[data-testid="passage-text"] .tok').count()).toBeGreaterThan(10);
    const size = await page.getByTestId('heatmap').boundingBox();
    expect(size!.width).toBeGreaterThan(400);

    // Hovering a cell shows its exact value.
    await page.mouse.move(size!.x + size!.width - 30, size!.y + size!.height - 12);
    const tip = page.getByTestId('heatmap-tooltip');
    await tip.waitFor();
    expect(await tip.textContent()).toMatch(/유사도 -?\d\.\d{4}/);
    await shot(page, artifactPath('alignment.png'));
  });

  it('drops a query token and reports the new score and rank', async () => {
    const before = calls('ablate');
    await page.locator('[data-testid="query-chips"] .chip').first().click();
    await expect.poll(() => page.getByTestId('ablation').textContent()).toMatch(/→ [\d.]+.*순위/);
    expect(calls('ablate')).toBe(before + 1);
    await expect.poll(() => page.locator('.chip.dropped').count()).toBe(1);
    await page.getByRole('button', { name: '모두 되돌리기' }).click();
    expect(await page.locator('.chip.dropped').count()).toBe(0);
  });

  it('switches to whole eojeol and keeps the sum equal to the score', async () => {
    const subwords = await page.locator('[data-testid="query-chips"] .chip').count();
    await page.getByRole('button', { name: '어절' }).click();
    await expect.poll(() => page.locator('[data-testid="query-chips"] .chip').count()).toBeLessThan(subwords);
    expect(await page.locator('[data-testid="query-chips"] .chip').allTextContents()).toContain('한글을' + (await page.locator('[data-testid="query-chips"] .chip .chip-value').first().textContent()));
    const score = Number(await page.getByTestId('maxsim-score').textContent());
    const sum = Number(/Σ 기여도 = (-?\d+\.\d+)/.exec((await page.getByTestId('contribution-sum').textContent())!)![1]);
    expect(sum).toBeCloseTo(score, 4);
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('alignment-eojeol.png'));
  });

  it('exports the heatmap as a PNG', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
    expect(download.suggestedFilename()).toMatch(/^saegim-demo-ko-d\d+-eojeol\.png$/);
    const file = await download.path();
    const bytes = readFileSync(file);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(2000);
  });

  it('runs an evaluation as a job and shows the metrics table, charts and p-values', async () => {
    await page.getByRole('tab', { name: /평가/ }).click();
    await page.getByTestId('run-eval').click();
    await page.getByTestId('metric-table').waitFor({ timeout: 30_000 });
    const rows = page.locator('[data-testid="metric-table"] tbody tr[data-method]');
    expect(await rows.count()).toBe(4);
    expect(await page.locator('[data-testid="metric-table"] th').allTextContents()).toEqual(['방법', 'Hit@10', 'nDCG@10', 'MRR@10', 'Recall@10']);
    const mvr = await page.locator('[data-testid="metric-table"] tr[data-method="mvr"] td').allTextContents();
    expect(mvr[1]).toMatch(/^\d\.\d{4}p [=<] /);
    expect(await page.locator('[data-testid="metric-chart"] .recharts-bar-rectangle').count()).toBeGreaterThan(0);
    await page.locator('[data-testid="scatter"] .recharts-symbols').first().waitFor();
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('evaluate.png'));

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '지표 CSV' }).click()]);
    const text = readFileSync(await csv.path(), 'utf8');
    expect(text.startsWith('\uFEFFcollection,split,queries,method,hit@10')).toBe(true);
    const [run] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'TREC 런: MVR' }).click()]);
    expect(readFileSync(await run.path(), 'utf8').split('\n')[0]).toMatch(/^q01 Q0 d\d+ 1 -?\d+\.\d+ saegim-mvr$/);
  });

  it('opens a query from the per-query scatter in Search', async () => {
    const before = calls('search');
    await page.locator('[data-testid="scatter"] .recharts-symbols').first().click();
    await expect.poll(() => calls('search')).toBe(before + 1);
    expect(await page.getByRole('tab', { name: /검색/ }).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByLabel('질의', { exact: true }).inputValue()).not.toBe('');
  });

  it('imports a dataset, shows import errors with file and line, builds an index with progress and cancel', async () => {
    await page.getByRole('tab', { name: /데이터셋/ }).click();
    await page.getByLabel('데이터셋 경로').fill('/data/bad-set');
    await page.getByRole('button', { name: '가져오기' }).click();
    const err = page.getByTestId('import-error');
    await err.waitFor();
    const errText = (await err.textContent())!;
    expect(errText).toContain('/data/bad-set/corpus.jsonl');
    expect(errText).toContain('expected a string, got null');
    expect(await err.locator('tbody tr').first().locator('td').nth(1).textContent()).toBe('7');
    await shot(page, artifactPath('datasets-import-error.png'));

    await page.getByLabel('데이터셋 경로').fill('/data/korquad/KorQuAD_v1.0_dev.json');
    await page.getByLabel('컬렉션 이름').fill('코쿼드-개발');
    await page.getByRole('button', { name: '가져오기' }).click();
    await page.getByTestId('import-report').waitFor();
    // The new collection is selected; until it is indexed, only BM25 can rank it and the others say why.
    await page.getByRole('tab', { name: /검색/ }).click();
    await page.getByLabel('질의', { exact: true }).fill('세종대왕이 만든 문자');
    await page.getByLabel('질의', { exact: true }).press('Enter');
    await page.getByTestId('unavailable-mvr').waitFor();
    expect(await page.getByTestId('unavailable-mvr').textContent()).toContain('not indexed');
    expect(await page.locator('[data-column="bm25"] .hit').count()).toBeGreaterThan(0);
    await shot(page, artifactPath('search-unindexed.png'));
    await page.getByRole('tab', { name: /데이터셋/ }).click();

    const row = page.locator('tr[data-collection="코쿼드-개발"]');
    await row.waitFor();
    await row.getByRole('button', { name: '인덱스 구축' }).click();
    const bar = row.getByRole('progressbar');
    await bar.waitFor();
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 10_000 }).toBeGreaterThan(10);
    await shot(page, artifactPath('datasets-indexing.png'));
    await row.getByRole('button', { name: '취소' }).click();
    await row.getByRole('button', { name: '인덱싱 재개' }).waitFor();
    expect(await row.locator('[data-code="cancelled"]').count()).toBe(1);
    await row.getByRole('button', { name: '인덱싱 재개' }).click();
    await row.getByRole('button', { name: '다시 구축' }).waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('8 / 8');

    await row.getByRole('button', { name: '삭제' }).click();
    await row.getByText('삭제할까요?').waitFor();
    await row.getByRole('button', { name: '삭제', exact: true }).first().click();
    await expect.poll(() => page.locator('tr[data-collection="코쿼드-개발"]').count()).toBe(0);
    await shot(page, artifactPath('datasets.png'));
  });

  it('validates a model folder in Settings', async () => {
    await page.getByRole('tab', { name: /설정/ }).click();
    const folder = page.getByLabel('모델 폴더');
    await folder.fill('/tmp/nothing-here');
    await page.getByRole('button', { name: '검사' }).click();
    await expect.poll(() => page.getByTestId('model-validation').textContent()).toContain('사용할 수 없습니다');
    await folder.fill('/opt/models/ko-colbert-model');
    await page.getByRole('button', { name: '검사' }).click();
    await expect.poll(() => page.getByTestId('model-validation').textContent()).toContain('사용할 수 있습니다');
    expect(await page.getByRole('radio', { name: 'CUDA' }).isDisabled()).toBe(true);
    await shot(page, artifactPath('settings.png'));
  });

  it('logged no console errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!!missing)('first run', () => {
  it('shows the demo collection being prepared', async () => {
    const app = await startAppServer({ bootstrap: { state: 'running', collection: 'demo-ko', progress: { phase: 'encoding', done: 1200, total: 4800 } } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(app.url);
      const banner = page.getByTestId('bootstrap');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('인코딩 중 1,200 / 4,800 (25%)');
      await shot(page, artifactPath('first-run.png'));
    } finally {
      await browser.close();
      await app.close();
    }
  }, 120_000);
});
