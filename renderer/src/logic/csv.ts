import type { EvaluationReport } from '../../../main/contract/api.js';
import { METHOD_ORDER, METRIC_ORDER, metricKey, pValue } from './evaluation.js';

export type CsvCell = string | number | null | undefined;

/**
 * RFC 4180 CSV with CRLF line ends, behind a UTF-8 byte-order mark: without the BOM, Excel — what many
 * Korean labs open CSVs in — decodes the file as CP949 and the Hangul comes out garbled.
 */
export function toCsv(rows: CsvCell[][], opts: { bom?: boolean } = {}): string {
  const body = rows.map((row) => row.map(csvCell).join(',')).join('\r\n');
  return `${opts.bom === false ? '' : '\uFEFF'}${body}\r\n`;
}

function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(Number(value.toFixed(6))) : '') : value;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The metrics table: one row per method, Table 1's columns, then each metric's p-value against the baseline. */
export function metricsCsv(report: EvaluationReport): string {
  const metrics = METRIC_ORDER.map((m) => metricKey(m, report.k));
  const header: CsvCell[] = ['collection', 'split', 'queries', 'method', ...metrics, ...metrics.map((m) => `p(${m})`)];
  const rows: CsvCell[][] = METHOD_ORDER.filter((m) => report.methods[m]).map((method) => [
    report.collection,
    report.split,
    report.queries,
    method,
    ...metrics.map((m) => report.methods[method]![m]),
    ...metrics.map((m) => pValue(report, method, m)),
  ]);
  return toCsv([header, ...rows]);
}

/** Every query's metric values per method, for analysis outside the app. */
export function perQueryCsv(report: EvaluationReport): string {
  const metrics = METRIC_ORDER.map((m) => metricKey(m, report.k));
  const methods = METHOD_ORDER.filter((m) => report.methods[m]);
  const header: CsvCell[] = ['query_id', 'query', ...methods.flatMap((method) => metrics.map((m) => `${method}:${m}`))];
  const rows = report.perQuery.map((q) => [q.queryId, q.query, ...methods.flatMap((method) => metrics.map((m) => q.values[method]?.[m]))]);
  return toCsv([header, ...rows]);
}
