import type { EvaluationReport } from '../../../main/contract/api.js';
import type { MetricName, MetricValues, SearchMethod } from '../../../main/contract/types.js';

export const METRIC_ORDER: readonly MetricName[] = ['hit', 'ndcg', 'mrr', 'recall'];
export const METHOD_ORDER: readonly SearchMethod[] = ['mvr', 'bm25', 'svr', 'hybrid'];

export const METHOD_LABEL: Record<SearchMethod, string> = {
  mvr: 'MVR (MaxSim)',
  bm25: 'BM25',
  svr: 'SVR',
  hybrid: 'Hybrid',
};

export const METRIC_LABEL: Record<MetricName, string> = { hit: 'Hit', ndcg: 'nDCG', mrr: 'MRR', recall: 'Recall' };

export const metricKey = (metric: MetricName, k: number) => `${metric}@${k}`;

export interface MetricRow {
  method: SearchMethod;
  values: Array<number | null>;
  /** Per metric: this method has the column's best value. */
  best: boolean[];
}

/** Rows of the paper's Table 1: one per evaluated method, metrics in METRIC_ORDER. */
export function metricTable(report: EvaluationReport): { columns: string[]; rows: MetricRow[] } {
  const columns = METRIC_ORDER.map((m) => metricKey(m, report.k));
  const methods = METHOD_ORDER.filter((m) => report.methods[m]);
  const values = methods.map((m) => columns.map((c) => report.methods[m]![c] ?? null));
  const bestPerColumn = columns.map((_, ci) => Math.max(...values.map((row) => row[ci] ?? -Infinity)));
  return {
    columns,
    rows: methods.map((method, ri) => ({
      method,
      values: values[ri]!,
      best: values[ri]!.map((v, ci) => v !== null && methods.length > 1 && Math.abs(v - bestPerColumn[ci]!) < 1e-12),
    })),
  };
}

export function pValue(report: EvaluationReport, method: SearchMethod, metric: string): number | null {
  return report.significance.find((s) => s.method === method && s.metric === metric)?.pValue ?? null;
}

/** `p < 0.001` style text for the table; the usual thresholds without pretending to more precision. */
export function formatPValue(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p.toFixed(3)}`;
}

export interface ScatterPoint {
  queryId: string;
  query: string;
  x: number;
  y: number;
}

/** One point per query: x = the baseline's metric, y = the compared method's, for the per-query scatter. */
export function scatterPoints(report: EvaluationReport, x: SearchMethod, y: SearchMethod, metric: string): ScatterPoint[] {
  return report.perQuery.flatMap((q) => {
    const xv = q.values[x]?.[metric];
    const yv = q.values[y]?.[metric];
    return xv === undefined || yv === undefined ? [] : [{ queryId: q.queryId, query: q.query, x: xv, y: yv }];
  });
}

/** How many queries a method wins, ties and loses against another on one metric. */
export function winTieLoss(points: ScatterPoint[]): { wins: number; ties: number; losses: number } {
  let wins = 0;
  let ties = 0;
  let losses = 0;
  for (const p of points) {
    if (Math.abs(p.y - p.x) < 1e-9) ties++;
    else if (p.y > p.x) wins++;
    else losses++;
  }
  return { wins, ties, losses };
}

/** Data for a grouped bar chart: one entry per metric, one key per method. */
export function barChartData(report: EvaluationReport): Array<Record<string, number | string>> {
  return METRIC_ORDER.map((m) => {
    const key = metricKey(m, report.k);
    const entry: Record<string, number | string> = { metric: `${METRIC_LABEL[m]}@${report.k}` };
    for (const method of METHOD_ORDER) {
      const v = report.methods[method]?.[key];
      if (v !== undefined) entry[method] = v;
    }
    return entry;
  });
}

export function adjustedPValue(report: EvaluationReport, method: SearchMethod, metric: string): number | null {
  return report.significance.find((s) => s.method === method && s.metric === metric)?.adjustedPValue ?? null;
}

/**
 * The lower end of a bar chart's value axis: bars that all sit near the top (0.89 against 0.96) look equal
 * on a 0–1 axis, so the axis starts a step below the smallest value.
 */
export function zoomedFloor(values: number[], step = 0.1): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return 0;
  const min = Math.min(...finite);
  return Math.max(0, Math.floor((min - step / 2) / step) * step);
}

export interface QueryOutcome {
  queryId: string;
  query: string;
  a: number;
  b: number;
}

export interface PairOutcome {
  a: SearchMethod;
  b: SearchMethod;
  /** Queries where a scored higher, largest margin first. */
  aWins: QueryOutcome[];
  bWins: QueryOutcome[];
  ties: number;
}

/** Per pair of evaluated methods, which queries each one scored higher on `metric`. */
export function pairOutcomes(report: EvaluationReport, metric: string): PairOutcome[] {
  const methods = METHOD_ORDER.filter((m) => report.methods[m]);
  const pairs: PairOutcome[] = [];
  for (let i = 0; i < methods.length; i++) {
    for (let j = i + 1; j < methods.length; j++) {
      const a = methods[i]!;
      const b = methods[j]!;
      const outcome: PairOutcome = { a, b, aWins: [], bWins: [], ties: 0 };
      for (const q of report.perQuery) {
        const av = q.values[a]?.[metric];
        const bv = q.values[b]?.[metric];
        if (av === undefined || bv === undefined) continue;
        const row = { queryId: q.queryId, query: q.query, a: av, b: bv };
        if (Math.abs(av - bv) < 1e-9) outcome.ties++;
        else (av > bv ? outcome.aWins : outcome.bWins).push(row);
      }
      outcome.aWins.sort((x, y) => y.a - y.b - (x.a - x.b));
      outcome.bWins.sort((x, y) => y.b - y.a - (x.b - x.a));
      pairs.push(outcome);
    }
  }
  return pairs;
}

/** How far the methods spread on one query's metric (max − min), for "where methods disagree most". */
export function disagreement(values: Record<string, MetricValues>, metric: string): number {
  const vs = Object.values(values)
    .map((v) => v[metric])
    .filter((v): v is number => v !== undefined);
  return vs.length < 2 ? 0 : Math.max(...vs) - Math.min(...vs);
}
