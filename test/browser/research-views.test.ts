import { readFileSync, writeFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../main/contract/api.js';
import { describeFusion, describePooling, describeQueryScoring, describeTokenIndex } from '../../main/contract/describe.js';
import { formatBytes } from '../../renderer/src/logic/progress.js';
import { ORPHAN_GRACE_MS } from '../../main/rpc/jobs.js';
import { jobEventsPath } from '../../main/contract/wire.js';
import { tokenLabel } from '../../renderer/src/logic/alignment-grid.js';
import { artifactPath, ROOT, shot, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, startAppServer, type AppServer } from './harness.js';

/**
 * The research views (saved evaluations, significance, the query browser, qrels marks, deep links, the
 * alignment comparison) in Chromium against the real engine and the demo corpus. Expected values come from
 * the engine, asked directly.
 */
const missing = chromiumMissing();
if (missing) console.warn(`browser tests skipped: ${missing}`);

const WAIT = { timeout: 30_000 };
const SMALL_BEIR = `${ROOT}test/fixtures/datasets/beir/good`;
const COLLECTION = 'demo-ko';

let browser: Browser;
let app: AppServer;
/** One evaluation the engine saved before any page opened. */
let saved: EvaluationReport;

beforeAll(async () => {
  if (missing) return;
  [browser, app] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), startAppServer({ progressDelayMs: 400 })]);
  saved = await app.api.evaluate({ collection: COLLECTION, k: 10, split: 'test', baseline: 'bm25' });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

interface Session {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

async function openSession(url: string): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'ko-KR', acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  return { context, page, problems };
}

async function appReady(page: Page): Promise<void> {
  await page.getByLabel('질의', { exact: true }).waitFor();
  await expect.poll(() => page.getByLabel('컬렉션 선택').inputValue(), WAIT).not.toBe('');
}

describe.skipIf(!!missing)('research views in Chromium (real engine)', () => {
  let session: Session;
  let page: Page;

  beforeEach(async () => {
    session = await openSession(app.pageUrl);
    page = session.page;
    await appReady(page);
  });

  afterEach(async () => {
    await session?.context.close();
    expect(session.problems, 'console errors').toEqual([]);
  });

  async function search(query: string): Promise<void> {
    const box = page.getByLabel('질의', { exact: true });
    await box.fill(query);
    await box.press('Enter');
    await page.getByTestId('results').waitFor(WAIT);
  }

  it('browses the collection’s queries by split and by where MVR loses to BM25, and marks the judged passages', async () => {
    expect(await page.getByTestId('query-length').textContent()).toBe('0 / 2,000자');
    expect(await page.getByLabel('질의', { exact: true }).getAttribute('maxlength')).toBe('2000');

    const [summary] = (await app.api.listCollections()).filter((c) => c.name === COLLECTION);
    const queries = await app.api.listQueries({ collection: COLLECTION });
    await page.getByTestId('query-browser').locator('summary').click();
    await page.getByLabel('질의 분할').selectOption('lexical');
    await expect.poll(() => page.getByTestId('query-count').textContent(), WAIT).toBe(`${summary!.splitCounts.lexical!.queries}개`);

    // Ranked by the newest saved evaluation: the queries where BM25's nDCG@10 beats MVR's.
    await page.getByLabel('질의 분할').selectOption('');
    await expect.poll(() => page.getByLabel('질의 필터').isEnabled(), WAIT).toBe(true);
    await page.getByLabel('질의 필터').selectOption('mvr-loses');
    const loses = saved.perQuery.filter((q) => q.values.bm25!['ndcg@10']! - q.values.mvr!['ndcg@10']! > 1e-9).map((q) => q.queryId);
    await expect.poll(() => page.getByTestId('query-count').textContent(), WAIT).toBe(`${loses.length}개`);
    const listed = await page.locator('.query-list button').evaluateAll((els) => els.map((el) => el.getAttribute('data-query-id')));
    expect(loses).toEqual(expect.arrayContaining(listed));

    const pick = queries.find((q) => q.id === listed[0])!;
    await page.locator(`.query-list button[data-query-id="${pick.id}"]`).click();
    await page.getByTestId('results').waitFor(WAIT);
    await expect.poll(() => page.getByLabel('질의', { exact: true }).inputValue(), WAIT).toBe(pick.text);
    await page.getByTestId('known-query').waitFor(WAIT);
    const gold = new Set(Object.values(pick.relevant).flat());
    const engine = await app.api.search({ collection: COLLECTION, query: pick.text, k: 10 });
    let marked = 0;
    for (const r of engine.results) {
      const shown = await page.locator(`[data-column="${r.method}"] .hit[data-relevant="true"]`).evaluateAll((els) => els.map((el) => el.getAttribute('data-doc')));
      expect(shown, r.method).toEqual(r.hits.filter((h) => gold.has(h.docId)).map((h) => h.docId));
      marked += shown.length;
    }
    expect(marked).toBeGreaterThan(0);
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('research-search-qrels.png'));
  });

  it('keeps view, query and passage in the address: Back, a bookmark and Esc behave; an error clears the old results', async () => {
    const query = '한글을 창제한 왕은 누구인가';
    await search(query);
    expect(new URL(page.url()).searchParams.get('q')).toBe(query);
    const first = page.locator('[data-column="mvr"] .hit').first();
    const doc = (await first.getAttribute('data-doc'))!;
    await first.click();
    await page.getByTestId('heatmap').waitFor(WAIT);
    const url = new URL(page.url());
    expect([url.searchParams.get('view'), url.searchParams.get('c'), url.searchParams.get('q'), url.searchParams.get('doc')]).toEqual(['alignment', COLLECTION, query, doc]);

    await page.goBack();
    await expect.poll(() => page.getByRole('tab', { name: /검색/ }).getAttribute('aria-selected'), WAIT).toBe('true');
    expect(new URL(page.url()).searchParams.get('view')).toBe('search');
    await page.goForward();
    await expect.poll(() => page.getByRole('tab', { name: /토큰 정렬/ }).getAttribute('aria-selected'), WAIT).toBe('true');

    // A bookmark opens the same alignment in a fresh page; Esc returns to the results.
    const bookmark = page.url();
    const other = await session.context.newPage();
    await other.goto(bookmark);
    await other.getByTestId('heatmap').waitFor(WAIT);
    expect(await other.getByTestId('align-query').textContent()).toBe(query);
    expect(await other.locator('.align-head .mono').first().textContent()).toBe(doc);
    await other.keyboard.press('Escape');
    await expect.poll(() => other.getByRole('tab', { name: /검색/ }).getAttribute('aria-selected'), WAIT).toBe('true');
    await other.getByTestId('results').waitFor(WAIT);
    await other.close();

    // The engine failing the next query leaves no card of the previous one to open.
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('tab', { name: /검색/ }).getAttribute('aria-selected'), WAIT).toBe('true');
    await page.route('**/api/call/search', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal', message: '검색 실패 (시험)' } }) }),
    );
    const box = page.getByLabel('질의', { exact: true });
    await box.fill('세종대왕');
    await box.press('Enter');
    await expect.poll(() => page.getByTestId('results').count(), WAIT).toBe(0);
    expect(await page.locator('.hit').count()).toBe(0);
    expect(await page.locator('.notice.error').textContent()).toContain('검색 실패 (시험)');
    await page.unroute('**/api/call/search');
  });

  it('reads an alignment at a glance: fitted, word boundaries, argmax listed, roles, BM25’s bigrams, and a second passage compared', async () => {
    const entry = (await app.api.listQueries({ collection: COLLECTION })).find((q) => q.id === 'q-hist-001')!;
    await search(entry.text);
    const top = (await app.api.search({ collection: COLLECTION, query: entry.text, k: 10 })).results.find((r) => r.method === 'mvr')!.hits[0]!;
    await page.locator(`[data-column="mvr"] .hit[data-doc="${top.docId}"]`).click();
    await page.getByTestId('heatmap').waitFor(WAIT);
    const engine = await app.api.explain({ collection: COLLECTION, query: entry.text, docId: top.docId });

    // Fitted to the width by default: no horizontal scrolling needed to see every column.
    const fit = await page.locator('.heatmap-wrap').evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    expect(fit.scroll).toBeLessThanOrEqual(fit.client + 1);
    // Every row's argmax, listed.
    expect(await page.locator('[data-testid="argmax-list"] li').count()).toBe(engine.queryTokens.length);
    // Tokens the model added carry their role.
    const added = engine.queryTokens.filter((t) => t.role).length;
    expect(await page.locator('[data-testid="query-chips"] .chip .role').count()).toBe(added);
    // BM25's matched bigrams are underlined in the passage.
    expect(engine.lexicalMatches!.length).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="passage-text"] .tok.lexical').count()).toBeGreaterThan(0);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: artifactPath('research-alignment-1440x900.png') });

    // The exported figure is larger than the heatmap alone: caption above, colour scale below.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-png').click()]);
    const png = readFileSync(await download.path());
    writeFileSync(artifactPath('research-alignment-export.png'), png);
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    // Against another passage: per query token, Σ differences = the score difference.
    const compare = page.getByTestId('compare');
    const select = compare.getByLabel('비교할 문단', { exact: true });
    await expect.poll(() => select.locator('option').count(), WAIT).toBeGreaterThan(1);
    const options = await select.locator('option').evaluateAll((els) => els.map((el) => (el as HTMLOptionElement).value).filter(Boolean));
    const second = options.find((id) => id !== top.docId)!;
    await select.selectOption(second);
    await compare.getByTestId('compare-summary').waitFor(WAIT);
    const other = await app.api.explain({ collection: COLLECTION, query: entry.text, docId: second });
    expect(Number(await compare.getByTestId('score-difference').textContent())).toBeCloseTo(engine.score - other.score, 3);
    expect(Number(await compare.getByTestId('difference-sum').textContent())).toBeCloseTo(engine.score - other.score, 3);
    expect(await compare.locator('tbody tr').count()).toBe(engine.queryTokens.length);
    await shot(page, artifactPath('research-alignment-compare.png'));

    // A query of particles only is flagged.
    await page.goto(`${app.url}/?view=alignment&c=${COLLECTION}&q=${encodeURIComponent('은 는?')}&doc=${top.docId}`);
    await page.getByTestId('contentless-query').waitFor(WAIT);
  });

  it('marks the query tokens the model discounts, compares with plain scoring, and carries the choice from Search', async () => {
    const query = '한글을 만든 왕은 누구인가요?';
    await search(query);
    const engineSearch = await app.api.search({ collection: COLLECTION, query, k: 10 });
    const hybrid = engineSearch.results.find((r) => r.method === 'hybrid')!;
    const svr = engineSearch.results.find((r) => r.method === 'svr')!;
    expect(hybrid.fusion?.method).toBe('wsum');
    expect(await page.getByTestId('method-note-hybrid').textContent()).toBe(describeFusion(hybrid.fusion!));
    expect(await page.getByTestId('method-note-svr').textContent()).toBe(`벡터: ${describePooling(svr.pooling!)}`);
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('research-search-scoring.png'));

    const top = engineSearch.results.find((r) => r.method === 'mvr')!.hits[0]!;
    await page.locator(`[data-column="mvr"] .hit[data-doc="${top.docId}"]`).click();
    await page.getByTestId('heatmap').waitFor(WAIT);
    const engine = await app.api.explain({ collection: COLLECTION, query, docId: top.docId });
    // The bundled model weighs every query token (its token_weights output): particles and punctuation least.
    const weights = engine.queryTokens.map((t) => t.weight);
    expect(weights.every((w) => w !== undefined && w >= 0 && w <= 1)).toBe(true);
    const weightOf = (label: string) => weights[engine.queryTokens.findIndex((t) => tokenLabel(t, engine.queryText) === label)]!;
    for (const particle of ['을', '은', '?']) expect(weightOf(particle), particle).toBeLessThan(weightOf('왕')!);

    const chips = () =>
      page
        .locator('[data-testid="query-chips"] .chip')
        .evaluateAll((els) =>
          els.map((el) => ({ label: el.querySelector('.chip-label')?.textContent, discount: el.getAttribute('data-discount'), badge: el.querySelector('.chip-weight')?.textContent ?? null, title: el.getAttribute('title') })),
        );
    const shown = await chips();
    expect(shown.map((c) => c.label)).toEqual(engine.queryTokens.map((t) => tokenLabel(t, engine.queryText)));
    shown.forEach((c, i) => {
      const w = weights[i]!;
      if (w === 1) expect(c.discount, c.label!).toBeNull();
      else if (w === 0) {
        expect(c.discount, c.label!).toBe('skiplisted');
        expect(c.title).toContain('skiplisted by the model: counts 0');
      } else {
        expect(c.discount, c.label!).toBe('scaled');
        expect(c.badge, c.label!).toBe(`×${Number(w.toFixed(2))}`);
        expect(c.title).toContain('by the model');
      }
    });
    // Discounted, not hidden: every query token keeps its heatmap row and its argmax.
    expect(await page.locator('[data-testid="argmax-list"] li').count()).toBe(engine.queryTokens.length);
    // The bars are w·max, and they still add up to the score shown.
    const sum = (await page.getByTestId('contribution-sum').textContent())!;
    expect(sum.match(/\d+\.\d{4}/g)).toEqual([engine.score.toFixed(4), engine.score.toFixed(4)]);
    expect(await page.getByTestId('maxsim-score').textContent()).toBe(engine.score.toFixed(4));
    const statement = page.getByTestId('query-scoring-statement');
    expect(await statement.textContent()).toBe(`질의 채점: ${describeQueryScoring('model')}`);
    const toggle = page.getByTestId('query-scoring').getByTestId('query-scoring-toggle');
    expect(await toggle.isChecked()).toBe(true);
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('research-alignment-weights.png'));

    // Every token weighing 1, for comparison: a higher score, nothing discounted, and the address keeps it.
    const plain = await app.api.explain({ collection: COLLECTION, query, docId: top.docId, queryScoring: 'plain' });
    await toggle.uncheck();
    await expect.poll(() => statement.getAttribute('data-scoring'), WAIT).toBe('plain');
    expect(await statement.textContent()).toBe(`질의 채점: ${describeQueryScoring('plain')}`);
    expect(await page.getByTestId('maxsim-score').textContent()).toBe(plain.score.toFixed(4));
    expect(plain.score).toBeGreaterThan(engine.score);
    expect((await chips()).filter((c) => c.discount).length).toBe(0);
    expect(new URL(page.url()).searchParams.get('scoring')).toBe('plain');
    await toggle.check();
    await expect.poll(() => statement.getAttribute('data-scoring'), WAIT).toBe('model');
    expect(await page.getByTestId('maxsim-score').textContent()).toBe(engine.score.toFixed(4));
    expect(new URL(page.url()).searchParams.get('scoring')).toBeNull();

    // Turned off in Search, the alignment opened from the results sums plainly too.
    await page.getByRole('tab', { name: /검색/ }).click();
    const plainSearch = await app.api.search({ collection: COLLECTION, query, k: 10, methods: ['mvr'], queryScoring: 'plain' });
    const plainTop = plainSearch.results[0]!.hits[0]!;
    await page.locator('#view-search [data-testid="query-scoring-toggle"]').uncheck();
    await expect.poll(() => page.locator('[data-column="mvr"] .hit').first().locator('.hit-score').textContent(), WAIT).toBe(plainTop.score.toFixed(4));
    await page.locator(`[data-column="mvr"] .hit[data-doc="${plainTop.docId}"]`).click();
    await expect.poll(() => statement.getAttribute('data-scoring'), WAIT).toBe('plain');
    expect(await toggle.isChecked()).toBe(false);
    expect(Number(await page.getByTestId('maxsim-score').textContent())).toBeCloseTo(plainTop.score, 3);
  });

  it('shows per-split counts, indexes a small import at once, and puts up a banner while the server is unreachable', async () => {
    await page.getByRole('tab', { name: /데이터셋/ }).click();
    const [demo] = (await app.api.listCollections()).filter((c) => c.name === COLLECTION);
    const counts = page.locator(`tr[data-collection="${COLLECTION}"] [data-testid="split-counts"]`);
    for (const split of demo!.splits) {
      const c = demo!.splitCounts[split]!;
      expect(await counts.locator(`[data-split="${split}"]`).textContent()).toBe(`${split}: 질의 ${c.queries.toLocaleString('ko-KR')} · 정답 ${c.qrels.toLocaleString('ko-KR')}`);
    }

    await page.getByLabel('데이터셋 경로').fill(SMALL_BEIR);
    await page.getByLabel('컬렉션 이름').fill('작은-beir');
    expect(await page.getByLabel('가져온 뒤 바로 인덱싱 (작은 컬렉션)').isChecked()).toBe(true);
    await page.getByRole('button', { name: '가져오기' }).click();
    await page.getByTestId('import-report').waitFor(WAIT);
    await expect
      .poll(async () => (await app.api.listCollections()).find((c) => c.name === '작은-beir')?.indexed ?? -1, { timeout: 60_000 })
      .toBe((await app.api.listCollections()).find((c) => c.name === '작은-beir')!.passages);
    await page.locator('tr[data-collection="작은-beir"]').getByRole('button', { name: '다시 구축' }).waitFor(WAIT);
    await app.api.deleteCollection('작은-beir');

    // Every call failing at the network: the banner replaces the views, and both come back with the server.
    await page.route('**/api/call/**', (route) => route.abort('connectionrefused'));
    await page.getByTestId('offline').waitFor(WAIT);
    expect(await page.locator('#view-datasets').isVisible()).toBe(false);
    await shot(page, artifactPath('research-offline.png'));
    await page.unroute('**/api/call/**');
    await expect.poll(() => page.getByTestId('offline').count(), WAIT).toBe(0);
    expect(await page.locator('#view-datasets').isVisible()).toBe(true);
    // The refused requests are the point of this test, not console noise.
    session.problems.splice(0, session.problems.length, ...session.problems.filter((p) => !p.includes('net::ERR_CONNECTION_REFUSED')));
  });

  it('cancels the evaluation a closed page started', async () => {
    const before = (await app.api.listEvaluations({ collection: COLLECTION })).map((e) => e.id);
    await page.getByRole('tab', { name: /평가/ }).click();
    const [started] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/jobs/evaluate')), page.getByTestId('run-eval').click()]);
    const { jobId } = (await started.json()) as { jobId: string };
    await page.getByRole('group', { name: '평가' }).getByRole('progressbar').waitFor(WAIT);
    await session.context.close();
    const closed = Date.now();

    // The server cancels a job once every event stream has been gone for its grace period; then its outcome is kept for late subscribers.
    await expect.poll(() => Date.now() - closed, { timeout: ORPHAN_GRACE_MS + 10_000, interval: 250 }).toBeGreaterThan(ORPHAN_GRACE_MS + 2_000);
    const res = await fetch(app.url + jobEventsPath(jobId), { headers: { Authorization: `Bearer ${app.token}` } });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('"code":"cancelled"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain('"code":"cancelled"');
    expect((await app.api.listEvaluations({ collection: COLLECTION })).map((e) => e.id)).toEqual(before);
  });

  it('switches the main labels and engine error titles to English and back, and keeps the choice', async () => {
    expect(await page.locator('html').getAttribute('lang')).toBe('ko');
    await page.getByTestId('lang-switch').click();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect((await page.locator('[role="tab"]').allTextContents())[1]).toBe('Search검색');
    await expect.poll(() => page.locator('.statusbar').textContent(), WAIT).toContain('Model: saegim-dlm-mini-ko');
    await page.route('**/api/call/search', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ error: { code: 'not-found', message: 'no such collection' } }) }),
    );
    await page.getByLabel('질의', { exact: true }).fill('세종대왕');
    await page.getByLabel('질의', { exact: true }).press('Enter');
    await expect.poll(() => page.locator('[role="alert"][data-code="not-found"] strong').textContent(), WAIT).toBe('Not found');
    await page.unroute('**/api/call/search');
    await page.reload();
    await appReady(page);
    expect((await page.locator('[role="tab"]').allTextContents())[0]).toBe('Datasets데이터셋');
    await page.getByTestId('lang-switch').click();
    expect((await page.locator('[role="tab"]').allTextContents())[0]).toBe('데이터셋Datasets');
  });

  it('lists saved evaluations, reopens one with adjusted p-values, value labels and per-pair wins, and deletes one', async () => {
    await page.getByRole('tab', { name: /평가/ }).click();
    const row = page.locator(`[data-testid="saved-evaluations"] tr[data-evaluation="${saved.id}"]`);
    await row.waitFor(WAIT);
    await page.getByRole('button', { name: `평가 ${saved.id} 열기` }).click();
    await page.getByTestId('metric-table').waitFor(WAIT);
    expect(await row.getAttribute('aria-current')).toBe('true');

    // Every metric of every compared method, with the corrected p, and the test and correction named.
    const sig = page.getByTestId('significance');
    expect(await sig.locator('tbody tr').count()).toBe(saved.significance.length);
    expect(saved.significance.length).toBe(3 * 4);
    for (const s of saved.significance) {
      const cell = sig.locator(`tr[data-method="${s.method}"][data-metric="${s.metric}"] [data-testid="adjusted-p"]`);
      expect(await cell.textContent()).toBe(s.adjustedPValue < 0.001 ? 'p < 0.001' : `p = ${s.adjustedPValue.toFixed(3)}`);
    }
    const method = await page.getByTestId('significance-method').textContent();
    expect(method).toContain(saved.significanceMethod.test);
    expect(method).toContain(saved.significanceMethod.correction);

    // Bars carry their values; the axis starts above 0 when every value is high.
    const labels = await page.locator('[data-testid="metric-chart"] .recharts-label-list text').allTextContents();
    expect(labels).toContain(saved.methods.mvr!['ndcg@10']!.toFixed(2));
    expect(labels).toContain(saved.methods.bm25!['ndcg@10']!.toFixed(2));
    const lowest = Math.min(...Object.values(saved.methods).flatMap((v) => Object.values(v)));
    expect(await page.getByTestId('axis-note').count()).toBe(lowest >= 0.15 ? 1 : 0);
    // Both scatter axes say what they measure.
    const axisLabels = await page.locator('[data-testid="scatter"] .recharts-label').allTextContents();
    expect(axisLabels).toEqual(expect.arrayContaining(['BM25 nDCG@10', 'MVR (MaxSim) nDCG@10']));

    // MVR against BM25, query by query on nDCG@10, as the engine's per-query values say.
    const wins = saved.perQuery.filter((q) => q.values.mvr!['ndcg@10']! > q.values.bm25!['ndcg@10']! + 1e-9);
    const losses = saved.perQuery.filter((q) => q.values.bm25!['ndcg@10']! > q.values.mvr!['ndcg@10']! + 1e-9);
    const pair = page.locator('[data-testid="pair-table"] tr[data-pair="mvr-bm25"]');
    expect(await pair.locator('[data-testid="wins"]').textContent()).toBe(String(wins.length));
    expect(await pair.locator('[data-testid="losses"]').textContent()).toBe(String(losses.length));
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('research-evaluate.png'));

    // A listed query opens in Search.
    await pair.getByRole('button', { name: '질의 보기' }).click();
    const first = page.locator('[data-testid="pair-queries"] [data-winner="mvr"] button').first();
    const query = await first.textContent();
    await first.click();
    await expect.poll(() => page.getByLabel('질의', { exact: true }).inputValue(), WAIT).toBe(query);
    await page.getByTestId('results').waitFor(WAIT);

    // A run survives a reload; deleting it removes it from the engine too.
    await page.reload();
    await appReady(page);
    await page.getByRole('tab', { name: /평가/ }).click();
    await row.waitFor(WAIT);
    await page.getByRole('button', { name: `평가 ${saved.id} 삭제` }).click();
    await expect.poll(() => row.count(), WAIT).toBe(0);
    expect((await app.api.listEvaluations({ collection: COLLECTION })).map((e) => e.id)).not.toContain(saved.id);
  });

  // Last: the evaluations it saves would otherwise be the newest the query browser reads.
  it('states the fusion, query scoring and pooling an evaluation ran with, RRF once asked for, and “not recorded” for older reports', async () => {
    const newest = async () => {
      const ids = (await app.api.listEvaluations({ collection: COLLECTION })).map((e) => e.id);
      return app.api.getEvaluation(Math.max(...ids));
    };
    const setting = (key: string) => page.locator(`[data-testid="run-setting-${key}"] dd`);
    const finished = { timeout: 120_000 };
    await page.getByRole('tab', { name: /평가/ }).click();
    const view = page.locator('#view-evaluate');
    const fusion = view.getByLabel('Hybrid 결합 방식');
    await view.getByLabel('분할', { exact: true }).selectOption('lexical');
    expect(await fusion.inputValue()).toBe('auto');
    await page.getByTestId('run-eval').click();
    await setting('fusion').waitFor(finished);
    const wsum = await newest();
    expect(wsum.split).toBe('lexical');
    expect(wsum.fusion?.method).toBe('wsum');
    expect(await setting('fusion').textContent()).toBe(describeFusion(wsum.fusion!));
    // The weights the bundled model recorded in its encoder.json, as the view spells them.
    const recorded = (JSON.parse(readFileSync(`${ROOT}assets/models/saegim-dlm-mini-ko/encoder.json`, 'utf8')) as { fusion: { weights: { mvr: number; bm25: number } } }).fusion.weights;
    expect(await setting('fusion').textContent()).toContain(`wsum ${recorded.mvr}·MVR + ${recorded.bm25}·BM25`);
    expect(await setting('queryScoring').textContent()).toBe(describeQueryScoring('model'));
    expect(await setting('pooling').textContent()).toBe(describePooling(wsum.pooling!));
    await page.mouse.move(0, 0);
    await shot(page, artifactPath('research-evaluate-fusion.png'));

    await fusion.selectOption('rrf');
    await page.getByTestId('run-eval').click();
    await expect.poll(() => setting('fusion').textContent(), finished).toContain('RRF');
    const rrf = await newest();
    expect(rrf.id).not.toBe(wsum.id);
    expect(rrf.fusion?.method).toBe('rrf');
    expect(await setting('fusion').textContent()).toBe(describeFusion(rrf.fusion!));

    // A report saved before these were recorded: the view says so rather than guessing.
    await page.route('**/api/call/getEvaluation', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { result: EvaluationReport };
      delete body.result.queryScoring;
      delete body.result.fusion;
      delete body.result.pooling;
      await route.fulfill({ response: res, json: body });
    });
    await page.getByRole('button', { name: `평가 ${wsum.id} 열기` }).click();
    await expect.poll(() => setting('fusion').textContent(), WAIT).toContain('기록되지 않음');
    expect(await setting('queryScoring').textContent()).toContain('기록되지 않음');
    expect(await setting('pooling').textContent()).toContain('기록되지 않음');
    await page.unroute('**/api/call/getEvaluation');
  });
  // Last: it gives demo-ko a compressed index, which the engine then ranks MVR with by default.
  it('builds a compressed index from Datasets, ranks MVR with it, and says so in Search, the alignment and the evaluation', { timeout: 300_000 }, async () => {
    await page.getByRole('tab', { name: /데이터셋/ }).click();
    const row = page.locator(`tr[data-collection="${COLLECTION}"]`);
    const width = row.getByTestId('compressed-width');
    expect(await width.locator('option').allTextContents()).toEqual(['전체 폭 (256)', 'PCA 128', 'PCA 64', '무작위 투영 128']);
    await width.selectOption('pca:128');
    await row.getByTestId('build-compressed').click();
    await row.getByTestId('compressed-summary').waitFor({ timeout: 240_000 });
    const summary = (await app.api.listCollections()).find((c) => c.name === COLLECTION)!.compressed!;
    expect(summary).toMatchObject({ current: true, projection: { kind: 'pca', dim: 128 } });
    expect(await row.getByTestId('compressed-summary').textContent()).toBe(`압축 ${formatBytes(summary.bytes)} · ${summary.bytesPerToken.toFixed(1)} B/토큰 · PCA 128`);
    // Up to date: nothing to build or update.
    expect(await row.getByTestId('build-compressed').count()).toBe(0);

    await page.getByRole('tab', { name: /검색/ }).click();
    const query = '훈민정음을 만든 임금';
    await search(query);
    const engine = (await app.api.search({ collection: COLLECTION, query, k: 10 })).results.find((r) => r.method === 'mvr')!;
    expect(engine.tokenIndex).toBe('compressed');
    await expect.poll(() => page.getByTestId('method-note-mvr').textContent(), WAIT).toBe(`압축 인덱스 — ${describeTokenIndex('compressed')}`);
    expect(await page.locator('[data-column="mvr"] .hit').evaluateAll((els) => els.map((el) => el.getAttribute('data-doc')))).toEqual(engine.hits.map((h) => h.docId));
    const select = page.locator('#view-search').getByTestId('token-index-select');
    await select.selectOption('exact');
    await expect.poll(() => page.getByTestId('method-note-mvr').count(), WAIT).toBe(0);
    await select.selectOption('auto');
    await page.getByTestId('method-note-mvr').waitFor(WAIT);
    await shot(page, artifactPath('research-search-compressed.png'));

    // The alignment says where the rank came from, and shows exact similarities: its score is the engine's exact one.
    const top = engine.hits[0]!;
    await page.locator(`[data-column="mvr"] .hit[data-doc="${top.docId}"]`).click();
    await page.getByTestId('ranked-by-compressed').waitFor(WAIT);
    const exact = await app.api.explain({ collection: COLLECTION, query, docId: top.docId });
    await expect.poll(() => page.getByTestId('maxsim-score').textContent(), WAIT).toBe(exact.score.toFixed(4));
    expect(Math.abs(top.score - exact.score)).toBeLessThan(1e-4);

    await page.getByRole('tab', { name: /평가/ }).click();
    await page.locator('#view-evaluate').getByTestId('token-index-select').selectOption('compressed');
    await page.getByTestId('run-eval').click();
    const setting = page.locator('#view-evaluate [data-testid="run-setting-tokenIndex"] dd');
    await expect.poll(() => setting.textContent(), { timeout: 240_000 }).toBe(describeTokenIndex('compressed'));
    const ids = (await app.api.listEvaluations({ collection: COLLECTION })).map((e) => e.id);
    expect((await app.api.getEvaluation(Math.max(...ids))).tokenIndex).toBe('compressed');
  });
});
