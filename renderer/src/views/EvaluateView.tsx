import { useEffect, useMemo, useState } from 'react';
import {
  Bar,
  BarChart,
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
import type { CollectionSummary, EvaluationReport, Progress } from '../../../main/contract/api.js';
import type { MetricName, SearchMethod } from '../../../main/contract/types.js';
import { asApiError, type ApiError, type Job, type SaegimClient } from '../api/client.js';
import { downloadText, safeFileName } from '../components/download.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { METHOD_COLOUR, MethodName, MethodSelect } from '../components/methods.js';
import { ProgressBar } from '../components/ProgressBar.js';
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
  pValue,
  scatterPoints,
  winTieLoss,
  type ScatterPoint,
} from '../logic/evaluation.js';

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
  const [job, setJob] = useState<{ job: Job<EvaluationReport>; progress: Progress | null; cancelling: boolean } | null>(null);
  const [report, setReport] = useState<EvaluationReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [scatter, setScatter] = useState<{ x: SearchMethod; y: SearchMethod; metric: MetricName }>({ x: 'bm25', y: 'mvr', metric: 'ndcg' });

  const splits = collection?.splits ?? [];
  useEffect(() => {
    setSplit((s) => (splits.includes(s) ? s : splits.includes('test') ? 'test' : (splits[0] ?? '')));
  }, [splits.join('|')]); // eslint-disable-line react-hooks/exhaustive-deps

  const run = () => {
    if (!collection || job || methods.length === 0) return;
    setError(null);
    const j = client.evaluate(
      { collection: collection.name, methods: METHOD_ORDER.filter((m) => methods.includes(m)), k, ...(split ? { split } : {}), baseline },
      (progress) => setJob((cur) => (cur ? { ...cur, progress } : cur)),
    );
    setJob({ job: j, progress: null, cancelling: false });
    j.result
      .then(
        (r) => {
          setReport(r);
          const evaluated = METHOD_ORDER.filter((m) => r.methods[m]);
          setScatter((s) => {
            const x = evaluated.includes(s.x) ? s.x : (evaluated[0] ?? s.x);
            const y = evaluated.includes(s.y) && s.y !== x ? s.y : (evaluated.find((m) => m !== x) ?? x);
            return { ...s, x, y };
          });
        },
        (err: unknown) => setError(asApiError(err)),
      )
      .finally(() => setJob(null));
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
            p값: {METHOD_LABEL[baseline]}와(과) 질의별로 짝지은 무작위화 검정(randomization test). 굵은 값은 열의 최고값, 초록색 p값은 p &lt; {SIGNIFICANT}.
          </p>
        )}
      </div>

      <div className="charts">
        <div className="panel">
          <div className="panel-head">
            <h3>방법별 지표</h3>
          </div>
          <div className="chart-box" data-testid="metric-chart">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={bars} margin={{ top: 8, right: 8, bottom: 8, left: -12 }}>
                <CartesianGrid vertical={false} stroke="#e1e5ea" />
                <XAxis dataKey="metric" tick={{ fontSize: 12 }} />
                <YAxis domain={[0, 1]} tick={{ fontSize: 12 }} />
                <Tooltip formatter={(v, name) => [Number(v).toFixed(4), METHOD_LABEL[name as SearchMethod] ?? String(name)]} />
                <Legend
                  formatter={(v: string) => METHOD_LABEL[v as SearchMethod] ?? v}
                  itemSorter={(item) => METHOD_ORDER.indexOf(item.dataKey as SearchMethod)}
                  wrapperStyle={{ fontSize: 12 }}
                />
                {evaluated.map((m) => (
                  <Bar key={m} dataKey={m} fill={METHOD_COLOUR[m]} isAnimationActive={false} radius={[3, 3, 0, 0]} />
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
              <ScatterChart margin={{ top: 8, right: 16, bottom: 16, left: -8 }}>
                <CartesianGrid stroke="#e1e5ea" />
                <XAxis type="number" dataKey="x" domain={[0, 1]} name={METHOD_LABEL[scatter.x]} tick={{ fontSize: 12 }} label={{ value: `${METHOD_LABEL[scatter.x]} ${METRIC_LABEL[scatter.metric]}@${report.k}`, position: 'insideBottom', offset: -8, fontSize: 12 }} />
                <YAxis type="number" dataKey="y" domain={[0, 1]} name={METHOD_LABEL[scatter.y]} tick={{ fontSize: 12 }} />
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
    </>
  );
}
