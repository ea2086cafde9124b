import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  Bar,
  BarChart,
  LabelList,
  CartesianGrid,
  Legend,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
  ZAxis,
} from 'recharts';
import type { CollectionSummary, EvaluationReport, EvaluationSummary, Progress } from '../../../main/contract/api.js';
import type { MetricName, SearchMethod } from '../../../main/contract/types.js';
import { asApiError, type ApiError, type Job, type SaegimClient } from '../api/client.js';
import { downloadText, safeFileName } from '../components/download.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { METHOD_COLOUR, MethodName, MethodSelect } from '../components/methods.js';
import { ProgressBar } from '../components/ProgressBar.js';
import { FusionSelect, QueryScoringToggle, TokenIndexSelect } from '../components/scoring-controls.js';
import { metricsCsv, perQueryCsv } from '../logic/csv.js';
import {
  barChartData,
  formatPValue,
  METHOD_LABEL,
  METHOD_ORDER,
  METRIC_LABEL,
  METRIC_ORDER,
  metricKey,
  metricTable,
  pairOutcomes,
  pValue,
  scatterPoints,
  winTieLoss,
  zoomedFloor,
  type PairOutcome,
  type ScatterPoint,
} from '../logic/evaluation.js';
import { runSettings, type FusionChoice, type QueryScoring, tokenIndexField, type TokenIndexChoice } from '../logic/scoring.js';

interface Props {
  client: SaegimClient;
  collection: CollectionSummary | null;
  onOpenQuery(text: string): void;
}

const SIGNIFICANT = 0.05;

export function EvaluateView({ client, collection, onOpenQuery }: Props) {
  const [methods, setMethods] = useState<SearchMethod[]>([...METHOD_ORDER]);
  const [k, setK] = useState(10);
  const [split, setSplit] = useState('');
  const [baseline, setBaseline] = useState<SearchMethod>('bm25');
  const [queryScoring, setQueryScoring] = useState<QueryScoring>('model');
  const [fusion, setFusion] = useState<FusionChoice>('auto');
  const [tokenIndex, setTokenIndex] = useState<TokenIndexChoice>('auto');
  const [job, setJob] = useState<{ job: Job<EvaluationReport>; progress: Progress | null; cancelling: boolean } | null>(null);
  const [report, setReport] = useState<EvaluationReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [scatter, setScatter] = useState<{ x: SearchMethod; y: SearchMethod; metric: MetricName }>({ x: 'bm25', y: 'mvr', metric: 'ndcg' });
  const [saved, setSaved] = useState<EvaluationSummary[] | null>(null);

  const collectionName = collection?.name ?? null;
  const loadSaved = useCallback(async () => {
    if (!collectionName) {
      setSaved(null);
      return;
    }
    try {
      const list = await client.listEvaluations({ collection: collectionName });
      setSaved([...list].sort((a, b) => b.id - a.id));
    } catch (err) {
      setError(asApiError(err));
    }
  }, [client, collectionName]);

  useEffect(() => {
    void loadSaved();
  }, [loadSaved]);

  const show = (r: EvaluationReport) => {
    setReport(r);
    const evaluated = METHOD_ORDER.filter((m) => r.methods[m]);
    setScatter((s) => {
      const x = evaluated.includes(s.x) ? s.x : (evaluated[0] ?? s.x);
      const y = evaluated.includes(s.y) && s.y !== x ? s.y : (evaluated.find((m) => m !== x) ?? x);
      return { ...s, x, y };
    });
  };

  const reopen = async (id: number) => {
    setError(null);
    try {
      show(await client.getEvaluation(id));
    } catch (err) {
      setError(asApiError(err));
    }
  };

  const remove = async (id: number) => {
    setError(null);
    try {
      await client.deleteEvaluation(id);
      if (report?.id === id) setReport(null);
    } catch (err) {
      setError(asApiError(err));
    }
    await loadSaved();
  };

  const splits = collection?.splits ?? [];
  useEffect(() => {
    setSplit((s) => (splits.includes(s) ? s : splits.includes('test') ? 'test' : (splits[0] ?? '')));
  }, [splits.join('|')]); // eslint-disable-line react-hooks/exhaustive-deps

  const run = () => {
    if (!collection || job || methods.length === 0) return;
    setError(null);
    const j = client.evaluate(
      {
        collection: collection.name,
        methods: METHOD_ORDER.filter((m) => methods.includes(m)),
        k,
        ...(split ? { split } : {}),
        baseline,
        queryScoring,
        fusion,
        ...(collection.compressed ? tokenIndexField(tokenIndex) : {}),
      },
      (progress) => setJob((cur) => (cur ? { ...cur, progress } : cur)),
    );
    setJob({ job: j, progress: null, cancelling: false });
    j.result
      .then(
        (r) => show(r),
        (err: unknown) => setError(asApiError(err)),
      )
      .finally(() => {
        setJob(null);
        void loadSaved();
      });
  };

  const toggle = (m: SearchMethod) => setMethods((cur) => (cur.includes(m) ? cur.filter((x) => x !== m) : [...cur, m]));

  const canRun = !!collection && collection.qrels > 0 && methods.length > 0 && !job;

  return (
    <div className="stack">
      <div className="panel">
        <div className="panel-head">
          <h2>평가</h2>
          <span className="muted small">
            {collection ? `‘${collection.name}’ · 질의 ${collection.queries.toLocaleString('ko-KR')}개 · 정답 ${collection.qrels.toLocaleString('ko-KR')}개` : '컬렉션이 없습니다'}
          </span>
        </div>
        {collection && collection.qrels === 0 && <div className="notice warn small">이 컬렉션에는 정답(qrels)이 없어 평가할 수 없습니다. 질의와 정답이 있는 데이터셋(BEIR, KorQuAD)을 가져오세요.</div>}
        <div className="eval-form" style={{ marginTop: 8 }}>
          <div className="field">
            <span>방법</span>
            <div className="row" style={{ gap: 14, height: 34 }}>
              {METHOD_ORDER.map((m) => (
                <label key={m} className="check">
                  <input type="checkbox" checked={methods.includes(m)} onChange={() => toggle(m)} aria-label={METHOD_LABEL[m]} />
                  <MethodName method={m} />
                </label>
              ))}
            </div>
          </div>
          <label className="field">
            <span>k</span>
            <input type="number" min={1} max={1000} value={k} onChange={(e) => setK(Math.max(1, Math.min(1000, Number(e.target.value) || 10)))} aria-label="k" />
          </label>
          <label className="field">
            <span>분할 (split)</span>
            <select value={split} onChange={(e) => setSplit(e.target.value)} aria-label="분할" disabled={splits.length === 0}>
              {splits.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>유의성 검정 기준</span>
            <MethodSelect value={baseline} onChange={setBaseline} label="기준 방법" />
          </label>
          <div className="field">
            <span>질의 채점 (MVR · Hybrid)</span>
            <div className="row" style={{ height: 34 }}>
              <QueryScoringToggle value={queryScoring} onChange={setQueryScoring} disabled={!methods.includes('mvr') && !methods.includes('hybrid')} />
            </div>
          </div>
          <label className="field">
            <span>Hybrid 결합</span>
            <FusionSelect value={fusion} onChange={setFusion} disabled={!methods.includes('hybrid')} />
          </label>
          {collection?.compressed && (
            <label className="field">
              <span>MVR 인덱스</span>
              <TokenIndexSelect value={tokenIndex} onChange={setTokenIndex} current={collection.compressed.current} disabled={!methods.includes('mvr') && !methods.includes('hybrid')} />
            </label>
          )}
          <button type="button" className="btn primary" onClick={run} disabled={!canRun} data-testid="run-eval">
            평가 실행
          </button>
        </div>
        {job && (
          <div style={{ marginTop: 12 }}>
            <ProgressBar
              progress={job.progress}
              cancelling={job.cancelling}
              label="평가"
              onCancel={() => {
                job.job.cancel();
                setJob({ ...job, cancelling: true });
              }}
            />
          </div>
        )}
        {error && (
          <div style={{ marginTop: 12 }}>
            <ErrorNotice error={error} />
          </div>
        )}
      </div>

      {saved && saved.length > 0 && (
        <div className="panel" data-testid="saved-evaluations">
          <div className="panel-head">
            <h3>저장된 평가</h3>
            <span className="muted small">끝난 평가는 모두 저장됩니다 · {saved.length}개</span>
          </div>
          <table className="grid saved-runs">
            <thead>
              <tr>
                <th>#</th>
                <th>시각</th>
                <th>분할</th>
                <th className="num">k</th>
                <th className="num">질의</th>
                <th>방법</th>
                <th className="num">시간</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {saved.map((e) => (
                <tr key={e.id} data-evaluation={e.id} className={report?.id === e.id ? 'current' : undefined} aria-current={report?.id === e.id ? 'true' : undefined}>
                  <td className="num">{e.id}</td>
                  <td>{new Date(e.createdAt).toLocaleString('ko-KR')}</td>
                  <td>{e.split}</td>
                  <td className="num">{e.k}</td>
                  <td className="num">{e.queries.toLocaleString('ko-KR')}</td>
                  <td>{e.methods.map((m) => m.toUpperCase()).join(' · ')}</td>
                  <td className="num">{e.seconds.toFixed(1)}초</td>
                  <td className="row" style={{ gap: 6, justifyContent: 'flex-end' }}>
                    <button type="button" className="btn small" onClick={() => void reopen(e.id)} aria-label={`평가 ${e.id} 열기`}>
                      열기
                    </button>
                    <button type="button" className="btn small danger" onClick={() => void remove(e.id)} aria-label={`평가 ${e.id} 삭제`}>
                      삭제
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {report && <ReportView report={report} scatter={scatter} onScatter={setScatter} onOpenQuery={onOpenQuery} />}
    </div>
  );
}

interface ReportProps {
  report: EvaluationReport;
  scatter: { x: SearchMethod; y: SearchMethod; metric: MetricName };
  onScatter(s: { x: SearchMethod; y: SearchMethod; metric: MetricName }): void;
  onOpenQuery(text: string): void;
}

function ReportView({ report, scatter, onScatter, onOpenQuery }: ReportProps) {
  const table = useMemo(() => metricTable(report), [report]);
  const bars = useMemo(() => barChartData(report), [report]);
  const evaluated = METHOD_ORDER.filter((m) => report.methods[m]);
  const scatterMetric = metricKey(scatter.metric, report.k);
  const points = useMemo(() => scatterPoints(report, scatter.x, scatter.y, scatterMetric), [report, scatter.x, scatter.y, scatterMetric]);
  const wtl = winTieLoss(points);
  const baseline = report.significance[0]?.baseline;
  const base = safeFileName('saegim', report.collection, report.split, `k${report.k}`);
  const [zoomed, setZoomed] = useState(true);
  const floor = useMemo(
    () => (zoomed ? zoomedFloor(bars.flatMap((b) => evaluated.map((m) => b[m]).filter((v): v is number => typeof v === 'number'))) : 0),
    [zoomed, bars, evaluated.join('|')], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const ndcg = metricKey('ndcg', report.k);
  const pairs = useMemo(() => pairOutcomes(report, ndcg), [report, ndcg]);

  return (
    <>
      <div className="panel">
        <div className="panel-head">
          <h2>결과</h2>
          <span className="muted small">
            {report.collection} · {report.split} · 질의 {report.queries.toLocaleString('ko-KR')}개 · {report.seconds.toFixed(1)}초
          </span>
          <span className="spacer" />
          <button type="button" className="btn small" onClick={() => downloadText(metricsCsv(report), `${base}-metrics.csv`, 'text/csv;charset=utf-8')}>
            지표 CSV
          </button>
          <button type="button" className="btn small" onClick={() => downloadText(perQueryCsv(report), `${base}-per-query.csv`, 'text/csv;charset=utf-8')}>
            질의별 CSV
          </button>
          {METHOD_ORDER.filter((m) => report.runs[m]).map((m) => (
            <button key={m} type="button" className="btn small" onClick={() => downloadText(report.runs[m]!, `${base}-${m}.run`)} title="TREC 런 파일 (qid Q0 docid rank score tag)">
              TREC 런: {m.toUpperCase()}
            </button>
          ))}
        </div>
        <RunSettings report={report} />
        <table className="grid metric-table" data-testid="metric-table">
          <thead>
            <tr>
              <th>방법</th>
              {METRIC_ORDER.map((m) => (
                <th key={m} className="num">
                  {METRIC_LABEL[m]}@{report.k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row) => (
              <tr key={row.method} data-method={row.method}>
                <td>
                  <MethodName method={row.method} />
                  {row.method === baseline && <span className="tag" style={{ marginLeft: 8 }}>검정 기준</span>}
                </td>
                {row.values.map((v, i) => {
                  const p = pValue(report, row.method, table.columns[i]!);
                  return (
                    <td key={i} className={`num${row.best[i] ? ' best' : ''}`}>
                      {v === null ? '—' : v.toFixed(4)}
                      {p !== null && <span className={`p${p < SIGNIFICANT ? ' sig' : ''}`}>{formatPValue(p)}</span>}
                    </td>
                  );
                })}
              </tr>
            ))}
            {METHOD_ORDER.filter((m) => report.unavailable[m] !== undefined).map((m) => (
              <tr key={m}>
                <td>
                  <MethodName method={m} />
                </td>
                <td colSpan={METRIC_ORDER.length} className="muted small">
                  사용할 수 없음: {report.unavailable[m]}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {baseline && (
          <p className="small muted" style={{ marginTop: 8 }}>
            p값: {METHOD_LABEL[baseline]}와(과) 질의별로 짝지은 무작위화 검정(randomization test), 비교 하나만의 값. 굵은 값은 열의 최고값, 초록색 p값은 p &lt; {SIGNIFICANT}. 여러 비교를 보정한 p는 아래 유의성 표에 있습니다.
          </p>
        )}
      </div>

      {report.significance.length > 0 && <SignificanceTable report={report} />}

      <div className="charts">
        <div className="panel">
          <div className="panel-head">
            <h3>방법별 지표</h3>
            <span className="spacer" />
            <label className="check small">
              <input type="checkbox" checked={zoomed} onChange={(e) => setZoomed(e.target.checked)} />
              세로축 확대
            </label>
          </div>
          {floor > 0 && (
            <p className="small muted" data-testid="axis-note">
              세로축은 {floor.toFixed(1)}에서 시작합니다 — 막대 길이가 아니라 막대 위의 값을 비교하세요.
            </p>
          )}
          <div className="chart-box" data-testid="metric-chart">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={bars} margin={{ top: 20, right: 8, bottom: 8, left: -4 }}>
                <CartesianGrid vertical={false} stroke="#e1e5ea" />
                <XAxis dataKey="metric" tick={{ fontSize: 12 }} />
                <YAxis domain={[floor, 1]} allowDataOverflow tick={{ fontSize: 12 }} tickFormatter={(v: number) => v.toFixed(2)} />
                <Tooltip formatter={(v, name) => [Number(v).toFixed(4), METHOD_LABEL[name as SearchMethod] ?? String(name)]} />
                <Legend
                  formatter={(v: string) => METHOD_LABEL[v as SearchMethod] ?? v}
                  itemSorter={(item) => METHOD_ORDER.indexOf(item.dataKey as SearchMethod)}
                  wrapperStyle={{ fontSize: 12 }}
                />
                {evaluated.map((m) => (
                  <Bar key={m} dataKey={m} fill={METHOD_COLOUR[m]} isAnimationActive={false} radius={[3, 3, 0, 0]}>
                    <LabelList dataKey={m} position="top" fontSize={10} fill="#3b4350" formatter={(v: unknown) => (typeof v === 'number' ? v.toFixed(2) : '')} />
                  </Bar>
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
        </div>

        <div className="panel">
          <div className="panel-head">
            <h3>질의별 비교</h3>
            <span className="spacer" />
            <select value={scatter.y} onChange={(e) => onScatter({ ...scatter, y: e.target.value as SearchMethod })} aria-label="세로축 방법">
              {evaluated.map((m) => (
                <option key={m} value={m}>
                  {METHOD_LABEL[m]}
                </option>
              ))}
            </select>
            <span className="muted small">대</span>
            <select value={scatter.x} onChange={(e) => onScatter({ ...scatter, x: e.target.value as SearchMethod })} aria-label="가로축 방법">
              {evaluated.map((m) => (
                <option key={m} value={m}>
                  {METHOD_LABEL[m]}
                </option>
              ))}
            </select>
            <select value={scatter.metric} onChange={(e) => onScatter({ ...scatter, metric: e.target.value as MetricName })} aria-label="지표">
              {METRIC_ORDER.map((m) => (
                <option key={m} value={m}>
                  {METRIC_LABEL[m]}@{report.k}
                </option>
              ))}
            </select>
          </div>
          <p className="small muted">
            점 하나가 질의 하나이며, 누르면 그 질의로 검색합니다. {METHOD_LABEL[scatter.y]} 우세 {wtl.wins} · 동률 {wtl.ties} · {METHOD_LABEL[scatter.x]} 우세 {wtl.losses}
          </p>
          <div className="chart-box" data-testid="scatter">
            <ResponsiveContainer width="100%" height="100%">
              <ScatterChart margin={{ top: 8, right: 16, bottom: 20, left: 12 }}>
                <CartesianGrid stroke="#e1e5ea" />
                <XAxis type="number" dataKey="x" domain={[0, 1]} name={METHOD_LABEL[scatter.x]} tick={{ fontSize: 12 }} label={{ value: `${METHOD_LABEL[scatter.x]} ${METRIC_LABEL[scatter.metric]}@${report.k}`, position: 'insideBottom', offset: -8, fontSize: 12 }} />
                <YAxis
                  type="number"
                  dataKey="y"
                  domain={[0, 1]}
                  name={METHOD_LABEL[scatter.y]}
                  tick={{ fontSize: 12 }}
                  label={{ value: `${METHOD_LABEL[scatter.y]} ${METRIC_LABEL[scatter.metric]}@${report.k}`, angle: -90, position: 'insideLeft', offset: -4, fontSize: 12, style: { textAnchor: 'middle' } }}
                />
                <ZAxis range={[70, 70]} />
                <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#9aa4b2" strokeDasharray="4 4" />
                <Tooltip
                  cursor={{ strokeDasharray: '3 3' }}
                  content={({ payload }) => {
                    const p = payload?.[0]?.payload as ScatterPoint | undefined;
                    if (!p) return null;
                    return (
                      <div className="tooltip" style={{ position: 'static' }}>
                        <span lang="ko">{p.query}</span>
                        <br />
                        {METHOD_LABEL[scatter.y]} <span className="v">{p.y.toFixed(3)}</span> · {METHOD_LABEL[scatter.x]} <span className="v">{p.x.toFixed(3)}</span>
                      </div>
                    );
                  }}
                />
                <Scatter
                  data={points}
                  fill={METHOD_COLOUR[scatter.y]}
                  fillOpacity={0.6}
                  isAnimationActive={false}
                  cursor="pointer"
                  onClick={(p: unknown) => {
                    const point = (p as { payload?: ScatterPoint }).payload ?? (p as ScatterPoint);
                    if (point?.query) onOpenQuery(point.query);
                  }}
                />
              </ScatterChart>
            </ResponsiveContainer>
          </div>
        </div>
      </div>

      {pairs.length > 0 && <PairTable pairs={pairs} metricLabel={`${METRIC_LABEL.ndcg}@${report.k}`} onOpenQuery={onOpenQuery} />}
    </>
  );
}

/** How the report's methods scored; a report saved before these were recorded says so instead of guessing. */
function RunSettings({ report }: { report: EvaluationReport }) {
  const settings = runSettings(report);
  if (settings.length === 0) return null;
  return (
    <dl className="run-settings" data-testid="run-settings">
      {settings.map((s) => (
        <div key={s.key} style={{ display: 'contents' }} data-testid={`run-setting-${s.key}`}>
          <dt>{s.label}</dt>
          <dd className={s.text ? undefined : 'unrecorded'}>{s.text ?? '기록되지 않음 (이 설정을 기록하기 전에 저장된 평가)'}</dd>
        </div>
      ))}
    </dl>
  );
}

function SignificanceTable({ report }: { report: EvaluationReport }) {
  const m = report.significanceMethod;
  const rows = METHOD_ORDER.flatMap((method) =>
    report.significance.filter((s) => s.method === method).sort((a, b) => METRIC_ORDER.indexOf(a.metric.split('@')[0] as MetricName) - METRIC_ORDER.indexOf(b.metric.split('@')[0] as MetricName)),
  );
  return (
    <div className="panel" data-testid="significance">
      <div className="panel-head">
        <h3>유의성</h3>
        <span className="muted small" data-testid="significance-method">
          {m.test} · {m.trials.toLocaleString('ko-KR')}회 · 보정: {m.correction} (비교 {m.comparisons}개)
        </span>
      </div>
      <table className="grid significance-table">
        <thead>
          <tr>
            <th>비교</th>
            <th>지표</th>
            <th className="num">평균 차이</th>
            <th className="num">p</th>
            <th className="num">보정 p</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={`${s.method}-${s.metric}`} data-method={s.method} data-metric={s.metric}>
              <td>
                {METHOD_LABEL[s.method]} <span className="muted">대</span> {METHOD_LABEL[s.baseline]}
              </td>
              <td>{s.metric}</td>
              <td className="num">{s.meanDifference >= 0 ? '+' : ''}{s.meanDifference.toFixed(4)}</td>
              <td className="num">{formatPValue(s.pValue)}</td>
              <td className={`num${s.adjustedPValue < SIGNIFICANT ? ' sig' : ''}`} data-testid="adjusted-p">
                {formatPValue(s.adjustedPValue)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted" style={{ marginTop: 8 }}>
        보정 p는 이 보고서의 비교 {m.comparisons}개(방법 × 지표) 전체에 {m.correction} 보정을 적용한 값입니다. 초록색은 보정 p &lt; {SIGNIFICANT}.
      </p>
    </div>
  );
}

const PAIR_ROWS = 8;

function PairTable({ pairs, metricLabel, onOpenQuery }: { pairs: PairOutcome[]; metricLabel: string; onOpenQuery(text: string): void }) {
  const [open, setOpen] = useState(0);
  const pair = pairs[Math.min(open, pairs.length - 1)]!;
  return (
    <div className="panel" data-testid="pair-table">
      <div className="panel-head">
        <h3>방법 쌍별 승패</h3>
        <span className="muted small">질의마다 {metricLabel}이(가) 더 높은 방법</span>
      </div>
      <table className="grid">
        <thead>
          <tr>
            <th>쌍</th>
            <th className="num">앞 방법 우세</th>
            <th className="num">동률</th>
            <th className="num">뒤 방법 우세</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {pairs.map((p, i) => (
            <tr key={`${p.a}-${p.b}`} data-pair={`${p.a}-${p.b}`} className={i === open ? 'current' : undefined}>
              <td>
                {METHOD_LABEL[p.a]} <span className="muted">대</span> {METHOD_LABEL[p.b]}
              </td>
              <td className="num" data-testid="wins">{p.aWins.length}</td>
              <td className="num">{p.ties}</td>
              <td className="num" data-testid="losses">{p.bWins.length}</td>
              <td>
                <button type="button" className="btn small" onClick={() => setOpen(i)} aria-pressed={i === open}>
                  질의 보기
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pair-lists" data-testid="pair-queries">
        {([
          [pair.a, pair.aWins, (q: { a: number; b: number }) => [q.a, q.b]],
          [pair.b, pair.bWins, (q: { a: number; b: number }) => [q.b, q.a]],
        ] as const).map(([winner, list, vals]) => (
          <div key={winner} data-winner={winner}>
            <h4 className="small">
              {METHOD_LABEL[winner]} 우세 ({list.length})
            </h4>
            {list.length === 0 ? (
              <p className="small muted">없음</p>
            ) : (
              <ul className="pair-list">
                {list.slice(0, PAIR_ROWS).map((q) => {
                  const [w, l] = vals(q);
                  return (
                    <li key={q.queryId}>
                      <button type="button" className="linklike" onClick={() => onOpenQuery(q.query)} title="이 질의로 검색" data-query-id={q.queryId}>
                        <span lang="ko">{q.query}</span>
                      </button>
                      <span className="num small muted">
                        {w.toFixed(3)} / {l.toFixed(3)}
                      </span>
                    </li>
                  );
                })}
                {list.length > PAIR_ROWS && <li className="small muted">… 외 {list.length - PAIR_ROWS}개 (질의별 CSV에 모두 있습니다)</li>}
              </ul>
            )}
          </div>
        ))}
      </div>
    </div>
  );
}
