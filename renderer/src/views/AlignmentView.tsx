import { useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type MouseEvent } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { AblationResult, Explanation } from '../../../main/contract/api.js';
import { describeQueryScoring } from '../../../main/contract/describe.js';
import type { SearchMethod } from '../../../main/contract/types.js';
import { asApiError, type ApiError, type SaegimClient } from '../api/client.js';
import { downloadBlob, safeFileName } from '../components/download.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { drawHeatmap, measureLayout, renderPng, type PngCaption } from '../components/heatmap-canvas.js';
import { MethodName } from '../components/methods.js';
import { QueryScoringToggle } from '../components/scoring-controls.js';
import { droppedRowsOf, eojeolGrid, eojeolSpans, subwordGrid, tokenLabel, type AlignmentGrid } from '../logic/alignment-grid.js';
import { contentlessQuery } from '../logic/query-warning.js';
import { METHOD_LABEL, METHOD_ORDER } from '../logic/evaluation.js';
import { cellAt, formatSimilarity, legendStops, RAMP_GRADIENT, similarityScale, tokenShade, type HeatmapLayout } from '../logic/heatmap.js';
import {
  explanationScoring,
  formatWeight,
  modelWeighsQuery,
  rowDiscount,
  skiplistedCount,
  tokenWeight,
  unweightedContributions,
  type QueryScoring,
  type RowDiscount,
} from '../logic/scoring.js';

/** The query scoring an alignment is asked with: the model's unless the target says plain. */
function targetScoring(target: AlignmentTarget): QueryScoring {
  return target.queryScoring ?? 'model';
}

/**
 * A passage picked from the search results, with its rank in every method's list at the time. The MVR rank
 * holds only under the scoring the search ran with; after the toggle the engine finds it again.
 */
function knownRank(target: AlignmentTarget): { rank?: number } {
  const rank = target.ranks.mvr;
  return typeof rank === 'number' && (target.ranksScoring ?? 'model') === targetScoring(target) ? { rank } : {};
}

/** What explain and ablate of the shown passage are both asked with. */
function shownPassageRequest(target: AlignmentTarget) {
  return {
    collection: target.collection,
    query: target.query,
    docId: target.docId,
    skipPunctuation: target.skipPunctuation,
    queryScoring: targetScoring(target),
    ...knownRank(target),
  };
}

export interface AlignmentTarget {
  collection: string;
  query: string;
  docId: string;
  title?: string;
  skipPunctuation: boolean;
  /** How MaxSim weighs the query's tokens here (absent: the model's scoring). */
  queryScoring?: QueryScoring;
  ranks: Partial<Record<SearchMethod, number | null>>;
  /** The query scoring the search that found `ranks` ran with. */
  ranksScoring?: QueryScoring;
  from: SearchMethod;
  /** Set when the search this was opened from ranked `from` with the compressed index. */
  rankedBy?: 'compressed';
}

interface Props {
  client: SaegimClient;
  target: AlignmentTarget | null;
  visible: boolean;
  onBack(): void;
  /** The toggle asks for the same alignment under the other query scoring (the address bar keeps it). */
  onScoringChange(scoring: QueryScoring): void;
  /** The engine's model, named on the exported figure. */
  modelName?: string | null;
}

type Granularity = 'subword' | 'eojeol';
type Zoom = 'fit' | 'detail' | 'large';
/** Narrowest column per zoom: fitting the width lets columns go as thin as a hairline. */
const MIN_CELL: Record<Zoom, number> = { fit: 2, detail: 14, large: 34 };
const ROLE_LABEL: Record<NonNullable<import('../../../main/contract/api.js').TokenInfo['role']>, string> = {
  marker: '마커',
  augment: '[MASK] 증강',
  special: '특수 토큰',
};

/** Columns whose token starts a new eojeol than the column before it. */
function wordStartsOf(grid: AlignmentGrid, text: string): Set<number> {
  const words = eojeolSpans(text);
  const starts = new Set<number>();
  let previous = -1;
  grid.cols.forEach((col, c) => {
    if (col.end <= col.start) return;
    let at = col.start;
    while (at < col.end && /\s/.test(text[at] ?? '')) at++;
    const word = words.findIndex(([a, b]) => at >= a && at < b);
    if (word < 0) return;
    if (previous >= 0 && word !== previous) starts.add(c);
    previous = word;
  });
  return starts;
}

/**
 * The engine scores plainly when the model has no query weights, when every token of this query weighs 1, and
 * when the skiplist would leave nothing: there is then nothing for the toggle to compare.
 */
const NOTHING_WEIGHTED = '모델의 질의 채점이 이 질의의 토큰을 모두 1로 셉니다';

function skiplistedLabels(explanation: Explanation): string {
  return explanation.queryTokens.flatMap((t) => (t.weight === 0 ? [`‘${tokenLabel(t, explanation.queryText)}’`] : [])).join(', ');
}

/** The role of a row when every token in it was added by the model. */
function rowRole(grid: AlignmentGrid, r: number, explanation: Explanation): keyof typeof ROLE_LABEL | null {
  const roles = grid.rows[r]!.members.map((i) => explanation.queryTokens[i]?.role);
  const first = roles[0];
  return first && roles.every((x) => x === first) ? first : null;
}

export function AlignmentView({ client, target, visible, onBack, onScoringChange, modelName = null }: Props) {
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);
  const [granularity, setGranularity] = useState<Granularity>('subword');
  const [zoom, setZoom] = useState<Zoom>('fit');
  const [dropped, setDropped] = useState<Set<number>>(new Set());
  const [ablation, setAblation] = useState<AblationResult | null>(null);
  const [ablationError, setAblationError] = useState<ApiError | null>(null);
  const [hover, setHover] = useState<{ row: number; col: number; x: number; y: number } | null>(null);
  const ablationTicket = useRef(0);
  // Learnt from the last explanation asked with the model's scoring: the toggle means nothing for a model without weights.
  const [weighs, setWeighs] = useState<{ collection: string; query: string; value: boolean } | null>(null);

  useEffect(() => {
    if (!target) return;
    let live = true;
    setLoading(true);
    setError(null);
    setExplanation(null);
    setDropped(new Set());
    setAblation(null);
    setAblationError(null);
    client
      // The MVR rank the search already found spares the engine a scan of the collection; past the shown
      // top-k it is unknown, and the engine finds it.
      .explain(shownPassageRequest(target))
      .then(
        (e) => {
          if (!live) return;
          setExplanation(e);
          const value = modelWeighsQuery(targetScoring(target), e);
          if (value !== null) setWeighs({ collection: target.collection, query: target.query, value });
        },
        (err: unknown) => live && setError(asApiError(err)),
      )
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [client, target]);

  const grid = useMemo<AlignmentGrid | null>(
    () => (explanation ? (granularity === 'eojeol' ? eojeolGrid(explanation) : subwordGrid(explanation)) : null),
    [explanation, granularity],
  );
  const scale = useMemo(() => similarityScale(grid?.similarity ?? []), [grid]);
  const droppedRows = useMemo(() => (grid ? droppedRowsOf(grid, dropped) : new Set<number>()), [grid, dropped]);
  const wordStarts = useMemo(() => (grid && explanation && granularity === 'subword' ? wordStartsOf(grid, explanation.docText) : new Set<number>()), [grid, explanation, granularity]);
  const addedRows = useMemo(() => {
    const rows = new Set<number>();
    if (grid && explanation) grid.rows.forEach((_, r) => rowRole(grid, r, explanation) && rows.add(r));
    return rows;
  }, [grid, explanation]);
  const lexical = useMemo(() => explanation?.lexicalMatches ?? [], [explanation]);
  const discounts = useMemo<Array<RowDiscount | null>>(
    () =>
      grid && explanation
        ? grid.rows.map((row) =>
            rowDiscount(
              row.members.map((i) => tokenWeight(explanation, i)),
              row.members.map((i) => tokenLabel(explanation.queryTokens[i]!, explanation.queryText)),
            ),
          )
        : [],
    [grid, explanation],
  );
  const unweighted = useMemo(() => (grid && explanation ? unweightedContributions(explanation, grid.rows) : []), [grid, explanation]);

  const toggleRow = (r: number) => {
    if (!grid || !target || !explanation) return;
    const members = grid.rows[r]!.members;
    const next = new Set(dropped);
    if (members.every((i) => next.has(i))) members.forEach((i) => next.delete(i));
    else members.forEach((i) => next.add(i));
    setDropped(next);
    if (next.size === 0) {
      setAblation(null);
      return;
    }
    const ticket = ++ablationTicket.current;
    setAblationError(null);
    client
      .ablate({ ...shownPassageRequest(target), dropQueryTokens: [...next].sort((a, b) => a - b) })
      .then(
        (a) => ticket === ablationTicket.current && setAblation(a),
        (err: unknown) => ticket === ablationTicket.current && setAblationError(asApiError(err)),
      );
  };

  const resetAblation = () => {
    ablationTicket.current++;
    setDropped(new Set());
    setAblation(null);
  };

  if (!target) {
    return <p className="empty">검색 결과에서 문단을 고르면 질의 토큰과 문단 토큰의 정렬이 여기에 표시됩니다.</p>;
  }

  const contributionSum = grid ? grid.contributions.reduce((s, x) => s + x, 0) : 0;
  const asked = targetScoring(target);
  const known = weighs && weighs.collection === target.collection && weighs.query === target.query ? weighs.value : null;
  const shownScoring = explanation ? explanationScoring(explanation) : asked;
  const skiplisted = explanation ? skiplistedCount(explanation) : 0;
  const ranksStale = (target.ranksScoring ?? 'model') !== asked && Object.keys(target.ranks).length > 0;

  return (
    <div className="stack">
      <div className="panel align-head">
        <div>
          <button type="button" className="btn small" onClick={onBack} style={{ marginBottom: 8 }}>
            ← 검색 결과
          </button>
          <p className="small muted">질의</p>
          <h2 lang="ko" data-testid="align-query">
            {target.query}
          </h2>
          <p className="small muted" style={{ marginTop: 8 }}>
            문단 <span className="mono">{target.docId}</span> · {target.collection}
          </p>
          <h3>{explanation?.docTitle ?? target.title ?? target.docId}</h3>
          <div className="row small" style={{ marginTop: 8, gap: 14 }}>
            {METHOD_ORDER.filter((m) => m in target.ranks).map((m) => (
              <span key={m} className="row" style={{ gap: 4, display: 'inline-flex' }}>
                <MethodName method={m} />
                <b className="num">{target.ranks[m] ? `${target.ranks[m]}위` : '순위 밖'}</b>
              </span>
            ))}
            {ranksStale && <span className="muted">(검색 때의 질의 채점으로 매긴 순위)</span>}
          </div>
          {target.rankedBy === 'compressed' && (
            <p className="small muted" data-testid="ranked-by-compressed" style={{ marginTop: 6 }}>
              검색의 {METHOD_LABEL[target.from]} 순위는 압축 인덱스가 고른 후보에서 매겼습니다. 아래 유사도와 점수는 저장된 벡터로 다시 계산한 정확한 값입니다.
            </p>
          )}
          <div className="scoring-line small" data-testid="query-scoring">
            <QueryScoringToggle
              value={asked}
              onChange={onScoringChange}
              disabled={known === false && asked === 'model'}
              title={known === false && asked === 'model' ? NOTHING_WEIGHTED : undefined}
            />
            <span className="muted" data-testid="query-scoring-statement" data-scoring={explanation ? shownScoring : undefined}>
              {explanation
                ? known === false && asked === 'model'
                  ? `${NOTHING_WEIGHTED} — ${describeQueryScoring('plain')}`
                  : `질의 채점: ${describeQueryScoring(shownScoring)}`
                : '질의 채점을 확인하는 중…'}
            </span>
          </div>
        </div>
        <div className="score-box">
          <div>
            <div className="value" data-testid="maxsim-score">
              {explanation ? explanation.score.toFixed(4) : '—'}
            </div>
            <div className="label">MaxSim 점수 S(q,d)</div>
          </div>
          <div>
            <div className="value">{explanation?.rank ?? '—'}</div>
            <div className="label">MVR 전체 순위</div>
          </div>
        </div>
      </div>

      {contentlessQuery(target.query) && (
        <div className="notice warn" data-testid="contentless-query">
          <strong>{contentlessQuery(target.query) === 'punctuation' ? '질의가 문장부호뿐입니다' : '질의가 조사(토씨)뿐입니다'}</strong>
          <p className="small">내용어가 없어 MaxSim이 맞출 것은 모델이 덧붙인 마커와 [MASK] 토큰뿐입니다. 이 정렬과 순위는 의미가 거의 없습니다.</p>
        </div>
      )}
      {loading && <p className="empty">정렬을 계산하는 중…</p>}
      {error && <ErrorNotice error={error} />}

      {grid && explanation && (
        <>
          <div className="panel">
            <div className="panel-head">
              <h2>질의 토큰</h2>
              <span className="muted small">
                토큰을 누르면 합에서 빼고(ablation) 점수와 순위를 다시 계산합니다.
                {discounts.some(Boolean) && ' 흐리게 그은 토큰은 모델이 0으로 세는 토큰(skiplist), ×w는 모델의 가중치입니다.'}
              </span>
              <span className="spacer" />
              {dropped.size > 0 && (
                <button type="button" className="btn small" onClick={resetAblation}>
                  모두 되돌리기
                </button>
              )}
            </div>
            <div className="query-chips" data-testid="query-chips">
              {grid.rows.map((row, r) => {
                const some = row.members.some((i) => dropped.has(i));
                const all = droppedRows.has(r);
                const discount = discounts[r] ?? null;
                const action = all ? '다시 포함' : '이 토큰을 빼고 계산';
                return (
                  <button
                    key={`${row.start}-${r}`}
                    type="button"
                    className={`chip${all ? ' dropped' : some ? ' partial' : ''}${discount ? ` discount-${discount.kind}` : ''}`}
                    aria-pressed={all}
                    onClick={() => toggleRow(r)}
                    title={discount ? `${discount.title}\n${action}` : action}
                    data-discount={discount?.kind}
                  >
                    <span lang="ko" className="chip-label">
                      {row.label}
                    </span>
                    {discount && (
                      <span className="chip-weight" data-testid="chip-weight">
                        {discount.badge}
                      </span>
                    )}
                    {addedRows.has(r) && (
                      <span className="role" data-role={rowRole(grid, r, explanation)}>
                        {ROLE_LABEL[rowRole(grid, r, explanation)!]}
                      </span>
                    )}
                    <span className="chip-value">{grid.contributions[r]!.toFixed(3)}</span>
                  </button>
                );
              })}
            </div>
            {dropped.size > 0 && (
              <div className="notice info small" style={{ marginTop: 10 }} data-testid="ablation">
                {ablation ? (
                  <>
                    토큰 {dropped.size}개를 빼면 점수 <b className="num">{ablation.originalScore.toFixed(4)}</b> →{' '}
                    <b className="num">{ablation.score.toFixed(4)}</b> ({(ablation.score - ablation.originalScore).toFixed(4)}), MVR 순위{' '}
                    <b>{ablation.originalRank ?? '—'}</b> → <b>{ablation.rank ?? '—'}</b>
                    {ablation.rank !== null && ablation.originalRank !== null && ablation.rank !== ablation.originalRank && (
                      <span className={`marker ${ablation.rank < ablation.originalRank ? 'up' : 'down'}`} style={{ marginLeft: 6 }}>
                        {ablation.rank < ablation.originalRank ? `↑${ablation.originalRank - ablation.rank}` : `↓${ablation.rank - ablation.originalRank}`}
                      </span>
                    )}
                  </>
                ) : ablationError ? (
                  ablationError.message
                ) : (
                  '다시 계산하는 중…'
                )}
              </div>
            )}
          </div>

          <div className="panel">
            <div className="panel-head">
              <h2>유사도 히트맵</h2>
              <span className="muted small">행: 질의 토큰 · 열: 문단 토큰 · 값: E_q[i]·E_d[j]</span>
              <span className="spacer" />
              <div className="segmented" role="group" aria-label="확대">
                {(['fit', 'detail', 'large'] as const).map((z) => (
                  <button key={z} type="button" aria-pressed={zoom === z} onClick={() => setZoom(z)}>
                    {z === 'fit' ? '폭에 맞춤' : z === 'detail' ? '확대' : '크게'}
                  </button>
                ))}
              </div>
              <div className="segmented" role="group" aria-label="토큰 단위">
                <button type="button" aria-pressed={granularity === 'subword'} onClick={() => setGranularity('subword')}>
                  서브워드
                </button>
                <button type="button" aria-pressed={granularity === 'eojeol'} onClick={() => setGranularity('eojeol')}>
                  어절
                </button>
              </div>
            </div>
            <HeatmapCanvas
              grid={grid}
              scale={scale}
              droppedRows={droppedRows}
              wordStarts={wordStarts}
              addedRows={addedRows}
              discounts={discounts}
              minCell={MIN_CELL[zoom]}
              hover={hover}
              visible={visible}
              onHover={setHover}
              caption={{ query: target.query, docId: explanation.docId, docTitle: explanation.docTitle, score: explanation.score, model: modelName, queryScoring: describeQueryScoring(shownScoring) }}
              exportName={safeFileName('saegim', target.collection, explanation.docId, granularity) + '.png'}
            />
            {granularity === 'subword' && wordStarts.size > 0 && <p className="small muted">흰 세로줄: 어절 경계</p>}
            <ul className="argmax-list" data-testid="argmax-list" aria-label="행마다 MaxSim이 고른 문단 토큰">
              {grid.rows.map((row, r) => (
                <li key={r} className={droppedRows.has(r) ? 'muted' : undefined}>
                  <span lang="ko">{row.label}</span> <span className="to">→</span> <b lang="ko">{grid.best[r]! >= 0 ? grid.cols[grid.best[r]!]!.label : '—'}</b>{' '}
                  <span className="num muted">{grid.best[r]! >= 0 ? formatSimilarity(grid.similarity[r]![grid.best[r]!]!) : ''}</span>
                  {discounts[r] && (
                    <span className="weight-note" title={discounts[r]!.title}>
                      {' '}
                      {discounts[r]!.badge}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          </div>

          <div className="align-body">
            <div className="panel">
              <div className="panel-head">
                <h2>문단</h2>
                <span className="muted small">각 토큰은 어느 질의 토큰이든 주는 가장 높은 유사도로 칠해집니다.</span>
              </div>
              <PassageText explanation={explanation} grid={grid} scale={scale} hoverCol={hover?.col ?? null} lexical={lexical} />
              {lexical.length > 0 && (
                <p className="small muted" style={{ marginTop: 8 }} data-testid="lexical-legend">
                  <span className="tok lexical">밑줄</span>: BM25가 맞춘 한글 두 글자(bigram) · 밑줄 없이 진한 토큰은 MaxSim만 찾은 것
                </p>
              )}
            </div>
            <div className="panel">
              <div className="panel-head">
                <h2>질의 토큰별 기여도</h2>
              </div>
              <p className="small" data-testid="contribution-sum">
                Σ 기여도 = <b className="num">{contributionSum.toFixed(4)}</b> = MaxSim 점수{' '}
                <b className="num">{explanation.score.toFixed(4)}</b>
                {granularity === 'eojeol' && <span className="muted"> (어절 막대는 그 어절 서브워드 기여도의 합)</span>}
              </p>
              {discounts.some(Boolean) && (
                <p className="small muted" data-testid="discount-note">
                  {skiplisted > 0 && `모델이 0으로 세는 질의 토큰 ${skiplisted}개(${skiplistedLabels(explanation)})는 합에 0으로 들어갑니다. `}기여도는 w·max, 옅은 회색은 가중치 1이었다면 더해졌을 몫(max − w·max)입니다.
                </p>
              )}
              <ContributionChart grid={grid} droppedRows={droppedRows} discounts={discounts} unweighted={unweighted} />
            </div>
          </div>

          <ComparePanel client={client} target={target} explanation={explanation} />
        </>
      )}
    </div>
  );
}

interface HeatmapProps {
  grid: AlignmentGrid;
  scale: ReturnType<typeof similarityScale>;
  droppedRows: ReadonlySet<number>;
  wordStarts: ReadonlySet<number>;
  addedRows: ReadonlySet<number>;
  discounts: ReadonlyArray<RowDiscount | null>;
  minCell: number;
  hover: { row: number; col: number; x: number; y: number } | null;
  visible: boolean;
  onHover(h: { row: number; col: number; x: number; y: number } | null): void;
  caption: PngCaption;
  exportName: string;
}

function HeatmapCanvas({ grid, scale, droppedRows, wordStarts, addedRows, discounts, minCell, hover, visible, onHover, caption, exportName }: HeatmapProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [layout, setLayout] = useState<HeatmapLayout | null>(null);

  useLayoutEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    setWidth(el.clientWidth);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const c = canvas.current;
    if (!c || !visible || width === 0) return;
    const ctx = c.getContext('2d')!;
    const l = measureLayout(ctx, grid, width, minCell, discounts);
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(l.width * dpr);
    c.height = Math.round(l.height * dpr);
    c.style.width = `${l.width}px`;
    c.style.height = `${l.height}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawHeatmap(ctx, grid, l, scale, { droppedRows, wordStarts, addedRows, discounts, hover: hover ? { row: hover.row, col: hover.col } : null });
    setLayout(l);
  }, [grid, scale, droppedRows, wordStarts, addedRows, discounts, minCell, hover, width, visible]);

  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!layout) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const cell = cellAt(layout, e.clientX - rect.left, e.clientY - rect.top);
    if (!cell) {
      if (hover) onHover(null);
      return;
    }
    // Viewport coordinates: the tooltip is position: fixed, so the scrolling heatmap cannot clip it.
    if (hover?.row !== cell.row || hover?.col !== cell.col) onHover({ ...cell, x: e.clientX, y: e.clientY });
  };

  const exportPng = async () => {
    if (!layout) return;
    downloadBlob(await renderPng(grid, layout, scale, droppedRows, caption, { wordStarts, addedRows, discounts }), exportName);
  };

  const value = hover ? grid.similarity[hover.row]![hover.col]! : null;
  const stops = legendStops(scale, 3);
  return (
    <>
      <div className="row small" style={{ marginBottom: 10, gap: 16 }}>
        <span className="legend">
          <span className="num">{formatSimilarity(stops[0]!.value)}</span>
          <span className="legend-bar" style={{ background: RAMP_GRADIENT }} />
          <span className="num">{formatSimilarity(stops[2]!.value)}</span>
        </span>
        <span className="legend">
          <span className="legend-argmax" /> 행 최댓값 (MaxSim이 고른 문단 토큰)
        </span>
        <span className="muted">
          {grid.rows.length} × {grid.cols.length}
        </span>
        <span style={{ marginLeft: 'auto' }}>
          <button type="button" className="btn small" onClick={() => void exportPng()} data-testid="export-png">
            PNG로 저장
          </button>
        </span>
      </div>
      <div className="heatmap-wrap" ref={wrap} onMouseLeave={() => onHover(null)}>
        <canvas ref={canvas} onMouseMove={onMove} data-testid="heatmap" aria-label="질의 토큰과 문단 토큰의 유사도 히트맵" role="img" />
        {hover && value !== null && (
          <div className="tooltip" style={tooltipPlacement(hover.x, hover.y)} data-testid="heatmap-tooltip">
            <span lang="ko">‘{grid.rows[hover.row]!.label}’</span> × <span lang="ko">‘{grid.cols[hover.col]!.label}’</span>
            <br />
            유사도 <span className="v">{formatSimilarity(value)}</span>
            {grid.best[hover.row] === hover.col && ' · 행 최댓값'}
            {grid.cols[hover.col]!.skipped && ' · MaxSim에서 제외된 토큰'}
            {discounts[hover.row] && (
              <>
                <br />
                <span lang="en">{discounts[hover.row]!.title}</span>
              </>
            )}
          </div>
        )}
      </div>
    </>
  );
}

/** Below-right of the pointer, flipped to the other side near the window's right or bottom edge. */
function tooltipPlacement(x: number, y: number): CSSProperties {
  const flipX = x > window.innerWidth - 300;
  const flipY = y > window.innerHeight - 90;
  return {
    ...(flipX ? { right: window.innerWidth - x + 14 } : { left: x + 14 }),
    ...(flipY ? { bottom: window.innerHeight - y + 14 } : { top: y + 14 }),
  };
}

function PassageText({
  explanation,
  grid,
  scale,
  hoverCol,
  lexical,
}: {
  explanation: Explanation;
  grid: AlignmentGrid;
  scale: ReturnType<typeof similarityScale>;
  hoverCol: number | null;
  lexical: ReadonlyArray<{ start: number; end: number }>;
}) {
  const matched = (start: number, end: number) => lexical.some((m) => m.start < end && m.end > start);
  const text = explanation.docText;
  const pieces: Array<{ key: string; text: string; col: number | null }> = [];
  let at = 0;
  const cols = grid.cols
    .map((g, c) => ({ g, c }))
    .filter(({ g }) => g.end > g.start)
    .sort((a, b) => a.g.start - b.g.start);
  for (const { g, c } of cols) {
    const start = Math.max(g.start, at);
    if (start >= g.end) continue;
    if (start > at) pieces.push({ key: `gap-${at}`, text: text.slice(at, start), col: null });
    pieces.push({ key: `tok-${c}`, text: text.slice(start, g.end), col: c });
    at = g.end;
  }
  if (at < text.length) pieces.push({ key: `gap-${at}`, text: text.slice(at), col: null });
  return (
    <p className="passage-text" lang="ko" data-testid="passage-text">
      {pieces.map((p) =>
        p.col === null ? (
          <span key={p.key}>{p.text}</span>
        ) : (
          <span
            key={p.key}
            className={`tok${grid.cols[p.col]!.skipped ? ' skipped' : ''}${hoverCol === p.col ? ' hover' : ''}${matched(grid.cols[p.col]!.start, grid.cols[p.col]!.end) ? ' lexical' : ''}`}
            style={{ background: tokenShade(scale, grid.columnMax[p.col]!) }}
            title={`최대 유사도 ${formatSimilarity(grid.columnMax[p.col]!)}${matched(grid.cols[p.col]!.start, grid.cols[p.col]!.end) ? ' · BM25도 맞춘 글자' : ''}`}
          >
            {p.text}
          </span>
        ),
      )}
    </p>
  );
}

function ContributionChart({
  grid,
  droppedRows,
  discounts,
  unweighted,
}: {
  grid: AlignmentGrid;
  droppedRows: ReadonlySet<number>;
  discounts: ReadonlyArray<RowDiscount | null>;
  unweighted: readonly number[];
}) {
  const data = grid.rows.map((row, r) => {
    const value = grid.contributions[r]!;
    const full = unweighted[r] ?? value;
    const discount = discounts[r];
    return {
      label: discount ? (discount.kind === 'partial' ? `${row.label} (${discount.badge})` : `${row.label} ${discount.badge}`) : row.label,
      full,
      value,
      // Only the share the weights took off a positive match: it sits after the bar, as what weight 1 would add.
      discounted: discount && full > value && value >= 0 ? full - value : 0,
      dropped: droppedRows.has(r),
    };
  });
  const height = Math.max(160, data.length * 28 + 48);
  return (
    <div style={{ height }} data-testid="contributions">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 4 }}>
          <CartesianGrid horizontal={false} stroke="#e1e5ea" />
          <XAxis type="number" tick={{ fontSize: 12 }} tickFormatter={(v: number) => v.toFixed(2)} />
          <YAxis type="category" dataKey="label" width={96} tick={{ fontSize: 13 }} interval={0} />
          <ReferenceLine x={0} stroke="#9aa4b2" />
          <Tooltip
            cursor={{ fill: 'rgba(37,99,168,0.06)' }}
            content={({ payload }) => {
              const d = payload?.[0]?.payload as (typeof data)[number] | undefined;
              if (!d) return null;
              return (
                <div className="tooltip" style={{ position: 'static' }}>
                  질의 토큰 <span lang="ko">‘{d.label}’</span>
                  <br />
                  기여도 <span className="v">{d.value.toFixed(4)}</span>
                  {d.discounted > 0 && (
                    <>
                      {' '}
                      · 가중치 1이면 <span className="v">{d.full.toFixed(4)}</span>
                    </>
                  )}
                </div>
              );
            }}
          />
          <Bar dataKey="value" stackId="s" isAnimationActive={false} className="contribution-bars">
            {data.map((d, i) => (
              <Cell key={i} fill={d.dropped ? '#cfd5dd' : '#2563a8'} />
            ))}
          </Bar>
          <Bar dataKey="discounted" stackId="s" isAnimationActive={false} className="discount-bars" fill="#e3e7ec" stroke="#c4cbd4" strokeDasharray="3 2" radius={[0, 3, 3, 0]} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

interface Candidate {
  docId: string;
  label: string;
}

/**
 * "Why this passage and not that one": a second passage's MaxSim, query token by query token. Both share
 * the query's tokens, so the per-token differences sum to the score difference.
 */
function ComparePanel({ client, target, explanation }: { client: SaegimClient; target: AlignmentTarget; explanation: Explanation }) {
  const [candidates, setCandidates] = useState<Candidate[]>([]);
  const [otherId, setOtherId] = useState('');
  const [typed, setTyped] = useState('');
  const [other, setOther] = useState<Explanation | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    let live = true;
    setCandidates([]);
    setOtherId('');
    setOther(null);
    setError(null);
    const found: Candidate[] = [];
    const add = (docId: string, label: string) => {
      if (docId !== target.docId && !found.some((c) => c.docId === docId)) found.push({ docId, label });
    };
    void Promise.allSettled([
      client.search({
        collection: target.collection,
        query: target.query,
        methods: ['bm25', 'mvr'],
        k: 5,
        snippetChars: 0,
        skipPunctuation: target.skipPunctuation,
        queryScoring: targetScoring(target),
      }),
      client.listQueries({ collection: target.collection, limit: 100_000 }),
    ]).then(([s, q]) => {
      if (!live) return;
      if (q.status === 'fulfilled') {
        const entry = q.value.find((x) => x.text.trim() === target.query.trim());
        for (const id of new Set(Object.values(entry?.relevant ?? {}).flat())) add(id, `정답 · ${id}`);
      }
      if (s.status === 'fulfilled') {
        for (const m of ['bm25', 'mvr'] as const) {
          s.value.results.find((r) => r.method === m)?.hits.forEach((h) => add(h.docId, `${m === 'bm25' ? 'BM25' : 'MVR'} ${h.rank}위 · ${h.title ?? h.docId}`));
        }
      }
      setCandidates([...found]);
    });
    return () => {
      live = false;
    };
  }, [client, target]);

  const pick = (docId: string) => {
    setOtherId(docId);
    setOther(null);
    setError(null);
    if (!docId) return;
    setLoading(true);
    client
      // Under the same scoring as the passage shown, or the per-token differences would not sum to the score difference.
      .explain({ collection: target.collection, query: target.query, docId, skipPunctuation: target.skipPunctuation, queryScoring: targetScoring(target) })
      .then(
        (e) => setOther(e),
        (err: unknown) => setError(asApiError(err)),
      )
      .finally(() => setLoading(false));
  };

  const rows = useMemo(() => {
    if (!other) return [];
    return explanation.queryTokens.map((t, i) => ({
      i,
      label: tokenLabel(t, explanation.queryText),
      role: t.role,
      weight: t.weight,
      a: explanation.contributions[i] ?? 0,
      b: other.contributions[i] ?? 0,
      diff: (explanation.contributions[i] ?? 0) - (other.contributions[i] ?? 0),
    }));
  }, [explanation, other]);
  const maxAbs = Math.max(1e-9, ...rows.map((r) => Math.abs(r.diff)));
  const sum = rows.reduce((s, r) => s + r.diff, 0);
  const top = [...rows].sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff)).slice(0, 3);

  return (
    <div className="panel" data-testid="compare">
      <div className="panel-head">
        <h2>다른 문단과 비교</h2>
        <span className="muted small">왜 이 문단이고 저 문단이 아닌가: 질의 토큰마다 기여도 차이</span>
        <span className="spacer" />
        <select value={candidates.some((c) => c.docId === otherId) ? otherId : ''} onChange={(e) => pick(e.target.value)} aria-label="비교할 문단">
          <option value="">비교할 문단 고르기…</option>
          {candidates.map((c) => (
            <option key={c.docId} value={c.docId}>
              {c.label}
            </option>
          ))}
        </select>
        <form
          className="row"
          style={{ gap: 6 }}
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.trim()) pick(typed.trim());
          }}
        >
          <input value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="문단 id" aria-label="비교할 문단 id" style={{ width: 120 }} />
          <button type="submit" className="btn small">
            비교
          </button>
        </form>
      </div>
      {loading && <p className="small muted">계산하는 중…</p>}
      {error && <ErrorNotice error={error} />}
      {other && (
        <>
          <p className="small" data-testid="compare-summary">
            <b className="mono">{explanation.docId}</b> <span className="num">{explanation.score.toFixed(4)}</span> − <b className="mono">{other.docId}</b>{' '}
            <span className="num">{other.score.toFixed(4)}</span> = <b className="num" data-testid="score-difference">{(explanation.score - other.score).toFixed(4)}</b> · Σ 토큰별 차이 ={' '}
            <b className="num" data-testid="difference-sum">{sum.toFixed(4)}</b>
            {top.length > 0 && (
              <span className="muted">
                {' '}
                · 차이가 가장 큰 토큰: {top.map((t) => `‘${t.label}’ ${t.diff >= 0 ? '+' : ''}${t.diff.toFixed(3)}`).join(', ')}
              </span>
            )}
          </p>
          <table className="grid compare-table">
            <thead>
              <tr>
                <th>질의 토큰</th>
                <th className="num">{explanation.docId}</th>
                <th className="num">{other.docId}</th>
                <th className="num">차이</th>
                <th style={{ width: '30%' }}>누가 이겼나</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.i} data-token={r.i}>
                  <td lang="ko">
                    {r.label}
                    {r.role && <span className="tag" style={{ marginLeft: 6 }}>{ROLE_LABEL[r.role]}</span>}
                    {r.weight !== undefined && r.weight !== 1 && (
                      <span className="weight-note" style={{ marginLeft: 6 }}>
                        {formatWeight(r.weight)}
                      </span>
                    )}
                  </td>
                  <td className="num">{r.a.toFixed(4)}</td>
                  <td className="num">{r.b.toFixed(4)}</td>
                  <td className={`num ${r.diff > 0 ? 'pos' : r.diff < 0 ? 'neg' : ''}`}>
                    {r.diff >= 0 ? '+' : ''}
                    {r.diff.toFixed(4)}
                  </td>
                  <td>
                    <span style={{ display: 'flex' }}>
                      <span style={{ flex: 1, display: 'flex', justifyContent: 'flex-end' }}>
                        {r.diff < 0 && <span className="diff-bar" style={{ width: `${(Math.abs(r.diff) / maxAbs) * 100}%`, background: '#b42318' }} />}
                      </span>
                      <span style={{ flex: 1 }}>{r.diff > 0 && <span className="diff-bar" style={{ width: `${(r.diff / maxAbs) * 100}%`, background: '#1d7a4f' }} />}</span>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small muted" style={{ marginTop: 6 }}>
            초록: 이 문단({explanation.docId})이 더 잘 맞춘 토큰 · 빨강: {other.docId}이(가) 더 잘 맞춘 토큰
          </p>
        </>
      )}
    </div>
  );
}
