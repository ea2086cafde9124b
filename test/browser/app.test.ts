import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluationReport, Explanation, SearchResponse } from '../../main/contract/api.js';
import type { SaegimError } from '../../main/contract/errors.js';
import type { ImportIssue, SearchMethod } from '../../main/contract/types.js';
import { artifactPath, shot, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, ROOT, startAppServer, type AppServer } from './harness.js';

/**
 * The built renderer in Chromium against the real engine (bundled model, the demo corpus imported and
 * indexed into a fresh database). Expectations come from the engine itself, asked directly: what the page
 * shows must be what the engine answered. Every test opens its own page and does its own setup.
 */
const missing = chromiumMissing();
if (missing) console.warn(`browser tests skipped: ${missing}`);

const QUERY = '한글을 창제한 왕은 누구인가';
const METHODS: SearchMethod[] = ['mvr', 'bm25', 'svr', 'hybrid'];
const BUNDLED_MODEL = join(ROOT, 'assets', 'models', 'saegim-dlm-mini-ko');
const DEMO_DIR = join(ROOT, 'assets', 'datasets', 'demo-ko');
const BAD_JSONL = join(ROOT, 'test', 'fixtures', 'datasets', 'jsonl', 'bad-lines.jsonl');
/** For what waits on the engine: on a loaded machine a model load or an evaluation takes seconds. */
const WAIT = { timeout: 30_000 };

let browser: Browser;
/** The app as `saegim serve` starts it for a user who has used it before: the demo ready to search. */
let app: AppServer;
/** What the engine answers for QUERY, asked directly. */
let engine: SearchResponse;

beforeAll(async () => {
  if (missing) return;
  [browser, app] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), startAppServer()]);
  engine = await app.api.search({ collection: 'demo-ko', query: QUERY, k: 10 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A fresh browser context and page, with console errors (CSP violations among them) and API calls recorded. */
interface Session {
  context: BrowserContext;
  page: Page;
  problems: string[];
  calls(method: string): number;
}

async function openSession(url: string, viewport = { width: 1440, height: 900 }): Promise<Session> {
  const context = await browser.newContext({ viewport, locale: 'ko-KR', acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  // Counted at the HTTP boundary: what the page asked the server, not what it meant to.
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(url);
  return { context, page, problems, calls: (method) => requests.filter((path) => path === `/api/call/${method}`).length };
}

async function columnIds(page: Page, method: SearchMethod): Promise<string[]> {
  return page.locator(`[data-column="${method}"] .hit`).evaluateAll((els) => els.map((el) => el.getAttribute('data-doc') ?? ''));
}

function ids(response: SearchResponse, method: SearchMethod): string[] {
  return response.results.find((r) => r.method === method)!.hits.map((h) => h.docId);
}

/** The page has its engine info and a collection to search: before that, Enter has nothing to search. */
async function appReady(page: Page): Promise<void> {
  await page.getByLabel('질의', { exact: true }).waitFor();
  await expect.poll(() => page.getByLabel('컬렉션 선택').inputValue(), WAIT).not.toBe('');
}

async function searchFor(page: Page, query: string): Promise<void> {
  await appReady(page);
  const box = page.getByLabel('질의', { exact: true });
  await box.fill(query);
  await box.press('Enter');
  await page.getByTestId('results').waitFor();
  await expect.poll(() => page.getByLabel('질의', { exact: true }).inputValue(), WAIT).toBe(query);
}

describe.skipIf(!!missing)('the app in Chromium (browser mode, real engine)', () => {
  let session: Session;
  let page: Page;

  beforeEach(async () => {
    session = await openSession(app.pageUrl);
    page = session.page;
    await appReady(page);
  });

  afterEach(async () => {
    await session?.context.close();
    expect(session.problems, 'console errors or CSP violations').toEqual([]);
  });

  /** Search for QUERY, move to the top MVR passage and open its alignment. */
  async function openTopAlignment(): Promise<Explanation> {
    await searchFor(page, QUERY);
    await page.getByLabel('질의', { exact: true }).focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('.hit.cursor').getAttribute('data-doc'), WAIT).toBe(ids(engine, 'mvr')[0]);
    await page.keyboard.press('Enter');
    await page.getByTestId('heatmap').waitFor();
    await page.locator('[data-testid="contributions"] .contribution-bars .recharts-bar-rectangle').first().waitFor();
    return app.api.explain({ collection: 'demo-ko', query: QUERY, docId: ids(engine, 'mvr')[0]! });
  }

  it('trades the token in the URL for a cookie and shows the demo collection', async () => {
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByLabel('컬렉션 선택').inputValue()).toBe('demo-ko');
    await expect.poll(() => page.locator('.statusbar').textContent(), WAIT).toContain('saegim-dlm-mini-ko');
    const cookies = await session.context.cookies();
    expect(cookies.find((c) => c.name.startsWith('saegim-token-'))).toMatchObject({ value: app.token, httpOnly: true, sameSite: 'Strict' });
  });

  it('does not submit while the IME is composing, then searches on Enter and shows what the engine ranks', async () => {
    const box = page.getByLabel('질의', { exact: true });
    await box.click();
    await page.keyboard.type(QUERY);
    const before = session.calls('search');
    // The Enter that commits the last Hangul syllable.
    await box.dispatchEvent('keydown', { key: 'Enter', code: 'Enter', isComposing: true, bubbles: true });
    await box.evaluate((el) => el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Process', keyCode: 229, bubbles: true } as KeyboardEventInit)));
    await box.evaluate((el) => el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', keyCode: 229, bubbles: true } as KeyboardEventInit)));
    await page.waitForTimeout(300);
    expect(session.calls('search')).toBe(before);
    expect(await page.getByTestId('results').count()).toBe(0);
    await page.keyboard.press('Enter');
    await page.getByTestId('results').waitFor();
    expect(session.calls('search')).toBe(before + 1);
    for (const method of METHODS) {
      expect(ids(engine, method).length, method).toBeGreaterThan(0);
      expect(await columnIds(page, method), method).toEqual(ids(engine, method));
    }
    // The bundled model finds Sejong's passage for this question, as BM25 does.
    expect(ids(engine, 'mvr')[0]).toBe('hist-001');
    // BM25 is the reference: other columns carry ↑/↓/new/= markers computed from the engine's ranks, BM25 none.
    expect(await page.locator('[data-column="bm25"] .marker').count()).toBe(0);
    const bm25Rank = new Map(ids(engine, 'bm25').map((id, i) => [id, i + 1]));
    for (const method of ['mvr', 'svr', 'hybrid'] as const) {
      const expected = ids(engine, method).map((id, i) => {
        const ref = bm25Rank.get(id);
        if (ref === undefined) return 'new';
        return i + 1 < ref ? `↑${ref - i - 1}` : i + 1 > ref ? `↓${i + 1 - ref}` : '=';
      });
      expect(await page.locator(`[data-column="${method}"] .marker`).allTextContents(), method).toEqual(expected);
    }
  });

  it('moves through results with the arrow keys, across columns to the same passage', async () => {
    await searchFor(page, QUERY);
    const mvr = ids(engine, 'mvr');
    const bm25 = ids(engine, 'bm25');
    const cursor = page.locator('.hit.cursor');
    await page.getByLabel('질의', { exact: true }).focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => cursor.getAttribute('data-index'), WAIT).toBe('0');
    expect(await cursor.getAttribute('data-doc')).toBe(mvr[0]);
    await page.keyboard.press('ArrowDown');
    expect(await cursor.getAttribute('data-index')).toBe('1');
    expect(await cursor.getAttribute('data-doc')).toBe(mvr[1]);
    await page.keyboard.press('ArrowUp');
    expect(await cursor.getAttribute('data-doc')).toBe(mvr[0]);
    // Across columns the cursor lands on the same passage, so its ranks can be compared.
    await page.keyboard.press('ArrowRight');
    expect(bm25).toContain(mvr[0]);
    expect(await cursor.getAttribute('data-method')).toBe('bm25');
    expect(await cursor.getAttribute('data-doc')).toBe(mvr[0]);
    expect(await cursor.getAttribute('data-index')).toBe(String(bm25.indexOf(mvr[0]!)));
    await page.keyboard.press('ArrowLeft');
    expect(await cursor.getAttribute('data-method')).toBe('mvr');
    expect(await cursor.getAttribute('data-doc')).toBe(mvr[0]);
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('search.png'));
  });

  it('opens the alignment of the selected passage: heatmap, shaded text, contributions summing to the score', async () => {
    const explanation = await openTopAlignment();
    const score = Number(await page.getByTestId('maxsim-score').textContent());
    expect(score.toFixed(4)).toBe(explanation.score.toFixed(4));
    const sumText = (await page.getByTestId('contribution-sum').textContent())!;
    const [sum, shown] = [...sumText.matchAll(/-?\d+\.\d{4}/g)].map((m) => Number(m[0]));
    expect(sum).toBeCloseTo(score, 4);
    expect(shown).toBeCloseTo(score, 4);
    const chips = await page.locator('[data-testid="query-chips"] .chip').count();
    expect(chips).toBe(explanation.queryTokens.length);
    expect(chips).toBeGreaterThan(4);
    // A bar per token that adds to the score; a skiplisted token (w = 0) adds nothing and has, instead, a ghost of what weight 1 would add.
    expect(await page.locator('[data-testid="contributions"] .contribution-bars .recharts-bar-rectangle').count()).toBe(explanation.contributions.filter((c) => c !== 0).length);
    const discounted = explanation.queryTokens.filter((t, i) => t.weight !== undefined && t.weight < 1 && explanation.similarity[i]![explanation.best[i]!]! > explanation.contributions[i]!);
    expect(await page.locator('[data-testid="contributions"] .discount-bars .recharts-bar-rectangle').count()).toBe(discounted.length);
    expect(await page.locator('[data-testid="passage-text"] .tok').count()).toBeGreaterThan(20);
    expect(await page.getByTestId('passage-text').textContent()).toBe(explanation.docText);
    expect(await page.getByTestId('align-query').textContent()).toBe(QUERY);
    await page.getByTestId('heatmap').scrollIntoViewIfNeeded();
    const size = await page.getByTestId('heatmap').boundingBox();
    expect(size!.width).toBeGreaterThan(400);

    // Hovering a cell of the last row (26 px high, 4 px above the bottom) shows its exact value. The canvas
    // can be wider than its scrolling frame: the point is taken inside the part on screen.
    const frame = await page.locator('.heatmap-wrap').boundingBox();
    await page.mouse.move(frame!.x + frame!.width * 0.6, size!.y + size!.height - 12);
    const tip = page.getByTestId('heatmap-tooltip');
    await tip.waitFor();
    const tipText = (await tip.textContent())!;
    const shownValue = /유사도 (-?\d\.\d{4})/.exec(tipText)![1]!;
    expect(tipText).toContain(`‘${explanation.queryTokens.at(-1)!.text}’`);
    expect(explanation.similarity.at(-1)!.map((v) => v.toFixed(4))).toContain(shownValue);
    await shot(page, artifactPath('alignment.png'));
  });

  it('drops a query token and reports the score and rank the engine computes without it', async () => {
    await openTopAlignment();
    const before = session.calls('ablate');
    await page.locator('[data-testid="query-chips"] .chip').first().click();
    await expect.poll(() => page.getByTestId('ablation').textContent(), WAIT).toMatch(/→ [\d.]+.*순위/);
    expect(session.calls('ablate')).toBe(before + 1);
    await expect.poll(() => page.locator('.chip.dropped').count(), WAIT).toBe(1);
    const ablation = await app.api.ablate({ collection: 'demo-ko', query: QUERY, docId: ids(engine, 'mvr')[0]!, skipPunctuation: false, dropQueryTokens: [0] });
    const text = (await page.getByTestId('ablation').textContent())!;
    expect(text).toContain(`점수 ${ablation.originalScore.toFixed(4)} → ${ablation.score.toFixed(4)}`);
    expect(text).toContain(`MVR 순위 ${ablation.originalRank ?? '—'} → ${ablation.rank ?? '—'}`);
    await page.getByRole('button', { name: '모두 되돌리기' }).click();
    expect(await page.locator('.chip.dropped').count()).toBe(0);
  });

  it('switches to whole eojeol and keeps the sum equal to the score', async () => {
    const explanation = await openTopAlignment();
    const subwords = await page.locator('[data-testid="query-chips"] .chip').count();
    await page.getByRole('button', { name: '어절' }).click();
    await expect.poll(() => page.locator('[data-testid="query-chips"] .chip').count(), WAIT).toBeLessThan(subwords);
    // One chip per whitespace-separated word of the query, each labelled with its summed contribution.
    expect(await page.locator('[data-testid="query-chips"] .chip').count()).toBe(QUERY.split(' ').length);
    const chips = page.locator('[data-testid="query-chips"] .chip');
    expect(await chips.locator('.chip-label').allTextContents()).toEqual(QUERY.split(' '));
    expect(await chips.locator('.chip-value').count()).toBe(QUERY.split(' ').length);
    // The eojeol's members keep their own weights, and say so: 한글을 = 한글 ×w₁ · 을 ×w₂.
    const [first, particle] = explanation.queryTokens;
    const w = (x: number) => `×${Number(x.toFixed(2))}`;
    expect(await chips.first().locator('.chip-weight').textContent()).toBe(`한글 ${w(first!.weight!)} · 을 ${w(particle!.weight!)}`);
    const score = Number(await page.getByTestId('maxsim-score').textContent());
    expect(score.toFixed(4)).toBe(explanation.score.toFixed(4));
    const sum = Number(/Σ 기여도 = (-?\d+\.\d+)/.exec((await page.getByTestId('contribution-sum').textContent())!)![1]);
    expect(sum).toBeCloseTo(score, 4);
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('alignment-eojeol.png'));
  });

  it('exports the heatmap as a PNG', async () => {
    await openTopAlignment();
    await page.getByRole('button', { name: '어절' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
    expect(download.suggestedFilename()).toBe(`saegim-demo-ko-${ids(engine, 'mvr')[0]}-eojeol.png`);
    const bytes = readFileSync(await download.path());
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(2000);
  });

  describe('evaluation', () => {
    let report: EvaluationReport;

    beforeAll(async () => {
      report = await app.api.evaluate({ collection: 'demo-ko', k: 10, split: 'test', baseline: 'bm25' });
    }, 120_000);

    async function runEvaluation(): Promise<void> {
      await page.getByRole('tab', { name: /평가/ }).click();
      await page.getByTestId('run-eval').click();
      await page.getByTestId('metric-table').waitFor({ timeout: 60_000 });
    }

    it('runs an evaluation as a job and shows the engine’s metrics, charts and p-values', async () => {
      await runEvaluation();
      const rows = page.locator('[data-testid="metric-table"] tbody tr[data-method]');
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-method')))).toEqual(METHODS);
      expect(await page.locator('[data-testid="metric-table"] th').allTextContents()).toEqual(['방법', 'Hit@10', 'nDCG@10', 'MRR@10', 'Recall@10']);
      for (const method of METHODS) {
        const cells = (await page.locator(`[data-testid="metric-table"] tr[data-method="${method}"] td`).allTextContents()).slice(1);
        const expected = ['hit@10', 'ndcg@10', 'mrr@10', 'recall@10'].map((metric) => {
          const value = report.methods[method]![metric]!.toFixed(4);
          const p = report.significance.find((s) => s.method === method && s.metric === metric)?.pValue;
          return p === undefined ? value : `${value}${p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`}`;
        });
        expect(cells, method).toEqual(expected);
      }
      // BM25 is strong on the demo questions; the bundled model is close behind.
      expect(report.methods.bm25!['ndcg@10']).toBeGreaterThan(0.5);
      expect(report.methods.mvr!['ndcg@10']).toBeGreaterThan(0.5);
      expect(await page.locator('[data-testid="metric-chart"] .recharts-bar-rectangle').count()).toBeGreaterThan(0);
      await page.locator('[data-testid="scatter"] .recharts-symbols').first().waitFor();
      await page.mouse.move(0, 0);
      await shot(page, artifactPath('evaluate.png'));

      const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '지표 CSV' }).click()]);
      const text = readFileSync(await csv.path(), 'utf8');
      expect(text.startsWith('\uFEFFcollection,split,queries,method,hit@10')).toBe(true);
      const [run] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'TREC 런: MVR' }).click()]);
      const firstLine = readFileSync(await run.path(), 'utf8').split('\n')[0]!;
      expect(firstLine).toMatch(/^q-\S+ Q0 \S+ 1 -?\d+\.\d+ saegim-mvr$/);
      expect(firstLine).toBe(report.runs.mvr!.split('\n')[0]);
    });

    it('opens a query from the per-query scatter in Search, with the engine’s results for it', async () => {
      await runEvaluation();
      const before = session.calls('search');
      // Queries with equal scores share a point: the click goes to whichever symbol is on top.
      await page.locator('[data-testid="scatter"] .recharts-symbols').first().click({ force: true });
      await expect.poll(() => session.calls('search'), WAIT).toBe(before + 1);
      expect(await page.getByRole('tab', { name: /검색/ }).getAttribute('aria-selected')).toBe('true');
      const query = await page.getByLabel('질의', { exact: true }).inputValue();
      expect(report.perQuery.map((q) => q.query)).toContain(query);
      await page.getByTestId('results').waitFor();
      const direct = await app.api.search({ collection: 'demo-ko', query, k: 10 });
      await expect.poll(() => columnIds(page, 'mvr'), WAIT).toEqual(ids(direct, 'mvr'));
      expect(await columnIds(page, 'bm25')).toEqual(ids(direct, 'bm25'));
    });
  });

  it('validates a model folder in Settings', async () => {
    await page.getByRole('tab', { name: /설정/ }).click();
    const folder = page.getByLabel('모델 폴더');
    await expect.poll(() => folder.inputValue(), WAIT).toBe(BUNDLED_MODEL);
    await folder.fill('/tmp/nothing-here');
    await page.getByRole('button', { name: '검사' }).click();
    await expect.poll(() => page.getByTestId('model-validation').textContent(), WAIT).toContain('사용할 수 없습니다');
    await folder.fill(BUNDLED_MODEL);
    await page.getByRole('button', { name: '검사' }).click();
    await expect.poll(() => page.getByTestId('model-validation').textContent(), WAIT).toContain('사용할 수 있습니다: saegim-dlm-mini-ko');
    const info = await app.api.info();
    expect(await page.getByRole('radio', { name: 'CUDA' }).isDisabled()).toBe(!info.executionProviders.includes('cuda'));
    expect(await page.getByRole('radio', { name: 'CPU' }).isChecked()).toBe(info.settings.executionProvider === 'cpu');
    await shot(page, artifactPath('settings.png'));
  });
});

describe.skipIf(!!missing)('datasets: import, index with progress, cancel and resume', () => {
  // Its own server: without the demo, so the collection built here is the only one.
  let app: AppServer;

  beforeAll(async () => {
    // Each progress event is held back so the bar can be watched and the job cancelled halfway.
    app = await startAppServer({ noDemo: true, progressDelayMs: 1000 });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('shows import errors with file and line, imports, indexes with progress, cancels, resumes and deletes', async () => {
    const { context, page, problems } = await openSession(app.pageUrl);
    try {
      await page.getByRole('tab', { name: /데이터셋/ }).click();
      await page.getByText('아직 컬렉션이 없습니다').waitFor();

      const refused = await app.api.importDataset({ path: BAD_JSONL }).then(
        () => null,
        (err: unknown) => err as SaegimError,
      );
      expect(refused?.code).toBe('import-failed');
      const issues = refused!.details as ImportIssue[];
      const issue = issues[0]!;
      await page.getByLabel('데이터셋 경로').fill(BAD_JSONL);
      await page.getByRole('button', { name: '가져오기' }).click();
      const err = page.getByTestId('import-error');
      await err.waitFor();
      const first = err.locator('tbody tr').first().locator('td');
      expect(await first.nth(0).textContent()).toBe(issue.file);
      expect(await first.nth(1).textContent()).toBe(String(issue.line));
      expect(await first.nth(3).textContent()).toBe(issue.reason);
      expect(await err.locator('tbody tr').count()).toBe(issues.length);
      await shot(page, artifactPath('datasets-import-error.png'));

      await page.getByLabel('데이터셋 경로').fill(DEMO_DIR);
      await page.getByLabel('컬렉션 이름').fill('데모-사본');
      // This test indexes by hand to watch progress and cancel, so the import must not index on its own.
      await page.getByLabel('가져온 뒤 바로 인덱싱 (작은 컬렉션)').uncheck();
      await page.getByRole('button', { name: '가져오기' }).click();
      await page.getByRole('group', { name: '가져오기' }).getByRole('progressbar').waitFor();
      await page.getByTestId('import-report').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('import-report').textContent()).toContain('문단 300개 · 질의 150개');

      // The new collection is selected; until it is indexed, only BM25 can rank it and the others say why.
      await page.getByRole('tab', { name: /검색/ }).click();
      expect(await page.getByLabel('컬렉션 선택').inputValue()).toBe('데모-사본');
      await searchFor(page, '세종대왕이 만든 문자');
      await page.getByTestId('unavailable-mvr').waitFor();
      expect(await page.getByTestId('unavailable-mvr').textContent()).toContain('not indexed');
      const direct = await app.api.search({ collection: '데모-사본', query: '세종대왕이 만든 문자', k: 10 });
      expect(ids(direct, 'bm25').length).toBeGreaterThan(0);
      expect(await columnIds(page, 'bm25')).toEqual(ids(direct, 'bm25'));
      await shot(page, artifactPath('search-unindexed.png'));
      await page.getByRole('tab', { name: /데이터셋/ }).click();

      const row = page.locator('tr[data-collection="데모-사본"]');
      await row.waitFor();
      expect(await row.textContent()).toContain('0 / 300');
      await row.getByRole('button', { name: '인덱스 구축' }).click();
      const bar = row.getByRole('progressbar');
      await bar.waitFor();
      await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 60_000 }).toBeGreaterThan(10);
      expect(await row.textContent()).toMatch(/인코딩 중 \d+ \/ 300/);
      await shot(page, artifactPath('datasets-indexing.png'));
      await row.getByRole('button', { name: '취소' }).click();
      await row.getByRole('button', { name: '인덱싱 재개' }).waitFor({ timeout: 30_000 });
      expect(await row.locator('[data-code="cancelled"]').count()).toBe(1);
      const partial = (await app.api.listCollections()).find((c) => c.name === '데모-사본')!;
      expect(partial.indexed).toBeGreaterThan(0);
      expect(partial.indexed).toBeLessThan(300);
      expect(await row.textContent()).toContain(`${partial.indexed} / 300`);

      await row.getByRole('button', { name: '인덱싱 재개' }).click();
      await row.getByRole('button', { name: '다시 구축' }).waitFor({ timeout: 120_000 });
      expect(await row.textContent()).toContain('300 / 300');
      expect((await app.api.listCollections()).find((c) => c.name === '데모-사본')!.indexed).toBe(300);

      await row.getByRole('button', { name: '삭제' }).click();
      await row.getByText('삭제할까요?').waitFor();
      await row.getByRole('button', { name: '삭제', exact: true }).first().click();
      await expect.poll(() => page.locator('tr[data-collection="데모-사본"]').count(), WAIT).toBe(0);
      expect(await app.api.listCollections()).toEqual([]);
      await shot(page, artifactPath('datasets.png'));
    } finally {
      await context.close();
    }
    expect(problems, 'console errors or CSP violations').toEqual([]);
  }, 240_000);
});

describe.skipIf(!!missing)('first run', () => {
  // Its own server, with the first run started by the test and slowed so the page sees it encode.
  let app: AppServer;

  beforeAll(async () => {
    app = await startAppServer({ firstRunWhenAsked: true, progressDelayMs: 800 });
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('shows the demo collection being imported and indexed, then searches it', async () => {
    const { context, page, problems } = await openSession(app.pageUrl, { width: 1280, height: 720 });
    try {
      await expect.poll(() => page.locator('.statusbar').textContent(), WAIT).toContain('saegim-dlm-mini-ko');
      expect(await page.getByLabel('컬렉션 선택').locator('option').allTextContents()).toEqual(['컬렉션 없음']);
      app.startFirstRun();
      // Imported, and held before indexing.
      await expect.poll(async () => (await app.api.listCollections()).map((c) => [c.name, c.indexed]), { timeout: 60_000 }).toEqual([['demo-ko', 0]]);
      expect((await app.api.info()).bootstrap?.state).toBe('running');
      // A page opened (or reloaded) while the first run works shows it and follows it to the end.
      await page.reload();
      const banner = page.getByTestId('bootstrap');
      await banner.waitFor();
      expect(await banner.textContent()).toContain('처음 실행 준비 중');
      expect(await banner.textContent()).toContain('demo-ko');
      expect(await page.getByLabel('컬렉션 선택').inputValue()).toBe('demo-ko');
      app.indexFirstRun();
      await expect.poll(() => banner.textContent(), { timeout: 120_000 }).toMatch(/인코딩 중 [\d,]+ \/ 300/);
      await shot(page, artifactPath('first-run.png'));
      await banner.waitFor({ state: 'detached', timeout: 180_000 });
      const info = await app.api.info();
      expect(info.bootstrap).toMatchObject({ state: 'done', collection: 'demo-ko' });
      expect(await app.api.listCollections()).toMatchObject([{ name: 'demo-ko', passages: 300, queries: 150, indexed: 300 }]);
      await expect.poll(() => page.getByLabel('컬렉션 선택').inputValue(), WAIT).toBe('demo-ko');

      const question = '조선 시대에 백성을 위해 새 글자를 만든 임금은 누구인가?';
      await searchFor(page, question);
      const direct = await app.api.search({ collection: 'demo-ko', query: question, k: 10 });
      for (const method of METHODS) {
        await expect.poll(() => columnIds(page, method), { ...WAIT, message: method }).toEqual(ids(direct, method));
      }
      expect(ids(direct, 'bm25')[0]).toMatch(/^hist-/);
    } finally {
      await context.close();
    }
    expect(problems, 'console errors or CSP violations').toEqual([]);
  }, 360_000);
});

describe.skipIf(!!missing)('without the token', () => {
  /** The browser logs each refused request; nothing else may appear. */
  const onlyRefusals = (problems: string[]) => problems.filter((p) => !/status of 401/.test(p));

  it('says the address needs the token printed by saegim serve, and shows no data', async () => {
    const { context, page, problems } = await openSession(app.url);
    try {
      const notice = page.getByTestId('unauthorized');
      await notice.waitFor();
      const text = (await notice.textContent())!;
      expect(text).toContain('접근 토큰이 필요합니다');
      expect(text).toContain('saegim serve');
      expect(text).toContain('?token=');
      expect(text).toContain('This address needs an access token');
      expect(await page.getByLabel('질의', { exact: true }).count()).toBe(0);
      expect(await page.locator('.statusbar').textContent()).toContain('접근 토큰 없음');
      await shot(page, artifactPath('unauthorized.png'));
    } finally {
      await context.close();
    }
    expect(problems.length).toBeGreaterThan(0);
    expect(onlyRefusals(problems)).toEqual([]);
  });

  it('drops what it showed once the token is gone, instead of leaving stale results', async () => {
    const { context, page, problems } = await openSession(app.pageUrl);
    try {
      await searchFor(page, QUERY);
      expect((await columnIds(page, 'mvr')).length).toBeGreaterThan(0);
      await context.clearCookies();
      await page.getByRole('button', { name: '검색', exact: true }).click();
      await page.getByTestId('unauthorized').waitFor();
      expect(await page.getByTestId('results').count()).toBe(0);
      expect(await page.getByLabel('컬렉션 선택').locator('option').count()).toBe(0);
    } finally {
      await context.close();
    }
    expect(onlyRefusals(problems)).toEqual([]);
  });
});
