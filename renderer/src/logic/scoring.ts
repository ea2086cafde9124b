import type { EvaluationReport, Explanation, FusionChoice, FusionInfo, MethodResult, QueryScoring, TokenIndexKind } from '../../../main/contract/api.js';
import { describeFusion, describePooling, describeQueryScoring, describeTokenIndex } from '../../../main/contract/describe.js';
import type { SearchMethod } from '../../../main/contract/types.js';

export type { FusionChoice, QueryScoring };

export const FUSION_CHOICES: ReadonlyArray<{ value: FusionChoice; label: string }> = [
  { value: 'auto', label: '모델의 방식' },
  { value: 'rrf', label: 'RRF' },
  { value: 'wsum', label: 'wsum (가중 합)' },
];

export const SKIPLISTED_TITLE = 'skiplisted by the model: counts 0';

/** The factor on a query token's best similarity; 1 when the explanation carries no weight for it. */
export function tokenWeight(exp: Explanation, i: number): number {
  return exp.queryTokens[i]?.weight ?? 1;
}

/** `×0.43`: two decimals at most, trailing zeros dropped, so a skiplisted token reads `×0`. */
export function formatWeight(w: number): string {
  return `×${Number(w.toFixed(2))}`;
}

/**
 * What the model's weights do to one row of the alignment (a subword, or the subwords of one eojeol).
 * `skiplisted`: every member weighs 0; `scaled`: every member has the same weight ≠ 1; `partial`: the members
 * differ (an eojeol whose particle is skiplisted). Null when the row counts in full.
 */
export interface RowDiscount {
  kind: 'skiplisted' | 'scaled' | 'partial';
  badge: string;
  title: string;
}

export function rowDiscount(weights: readonly number[], labels: readonly string[]): RowDiscount | null {
  if (weights.length === 0 || weights.every((w) => w === 1)) return null;
  const first = weights[0]!;
  if (weights.every((w) => w === first)) {
    return first === 0
      ? { kind: 'skiplisted', badge: formatWeight(0), title: SKIPLISTED_TITLE }
      : { kind: 'scaled', badge: formatWeight(first), title: `weighted ${formatWeight(first)} by the model: counts ${formatWeight(first)} of its best similarity` };
  }
  const off = weights.flatMap((w, i) => (w === 1 ? [] : [{ w, label: labels[i] ?? '' }]));
  return {
    kind: 'partial',
    badge: off.map((o) => `${o.label} ${formatWeight(o.w)}`).join(' · '),
    title: off.map((o) => (o.w === 0 ? `‘${o.label}’ ${SKIPLISTED_TITLE}` : `‘${o.label}’ weighted ${formatWeight(o.w)} by the model`)).join('\n'),
  };
}

/**
 * What each row would add at weight 1: Σ over its members of max_j similarity. With the engine's
 * contributions (w·max) this is the part of the bar the weights took away.
 */
export function unweightedContributions(exp: Explanation, rows: ReadonlyArray<{ members: readonly number[] }>): number[] {
  return rows.map((row) => row.members.reduce((s, i) => s + (exp.best[i]! >= 0 ? (exp.similarity[i]?.[exp.best[i]!] ?? 0) : 0), 0));
}

/** Query tokens the model counts 0 in this explanation. */
export function skiplistedCount(exp: Explanation): number {
  return exp.queryTokens.filter((t) => t.weight === 0).length;
}

/**
 * Whether the model weighs this query's tokens, as far as an explanation asked with `asked` tells: asked for
 * the model's scoring, the engine answers `model` only when there are weights; asked plainly it cannot say.
 */
export function modelWeighsQuery(asked: QueryScoring, exp: Explanation): boolean | null {
  if (asked === 'plain') return null;
  return exp.queryScoring === 'model' || exp.queryTokens.some((t) => t.weight !== undefined);
}

/** How the shown explanation was summed; an engine from before query scoring summed plainly. */
export function explanationScoring(exp: Explanation): QueryScoring {
  return exp.queryScoring ?? (exp.queryTokens.some((t) => t.weight !== undefined) ? 'model' : 'plain');
}

/** The note under a search column: how hybrid fused, where SVR's vectors came from; null for the others. */
export function methodNote(result: MethodResult): string | null {
  const compressed = result.tokenIndex === 'compressed' ? `압축 인덱스 — ${describeTokenIndex('compressed')}` : null;
  if (result.method === 'hybrid' && result.fusion) return [describeFusion(result.fusion), compressed].filter(Boolean).join(' · ');
  if (result.method === 'svr' && result.pooling) return `벡터: ${describePooling(result.pooling)}`;
  return compressed;
}

/** Token index choices for MVR in Search and Evaluate: the engine's default, or one of the two. */
export const TOKEN_INDEX_CHOICES: ReadonlyArray<{ value: TokenIndexChoice; label: string }> = [
  { value: 'auto', label: '자동 (압축이 최신이면 압축)' },
  { value: 'exact', label: '정확 (전체 스캔)' },
  { value: 'compressed', label: '압축 인덱스' },
];

export type TokenIndexChoice = 'auto' | TokenIndexKind;

/** The request field for a choice: absent for `auto`, so the engine decides. */
export function tokenIndexField(choice: TokenIndexChoice): { index?: TokenIndexKind } {
  return choice === 'auto' ? {} : { index: choice };
}

/** Hybrid's scores: reciprocal ranks (≈ 0.016) need five decimals to tell apart, normalised sums four. */
export function scoreDecimals(method: SearchMethod, fusion: FusionInfo | undefined): number {
  return method === 'hybrid' && fusion?.method !== 'wsum' ? 5 : 4;
}

export interface RunSetting {
  key: 'queryScoring' | 'fusion' | 'pooling' | 'tokenIndex';
  label: string;
  /** Null when the method ran but the report predates the field. */
  text: string | null;
}

/**
 * How a report's methods scored, one line per choice that applied to a method it evaluated: query scoring for
 * MVR and hybrid, fusion for hybrid, pooling for SVR.
 */
export function runSettings(report: EvaluationReport): RunSetting[] {
  const ran = (m: SearchMethod) => report.methods[m] !== undefined;
  const out: RunSetting[] = [];
  if (ran('mvr') || ran('hybrid')) out.push({ key: 'queryScoring', label: '질의 채점', text: report.queryScoring ? describeQueryScoring(report.queryScoring) : null });
  if (ran('mvr') || ran('hybrid')) out.push({ key: 'tokenIndex', label: '토큰 인덱스', text: report.tokenIndex ? describeTokenIndex(report.tokenIndex) : null });
  if (ran('hybrid')) out.push({ key: 'fusion', label: 'Hybrid 결합', text: report.fusion ? describeFusion(report.fusion) : null });
  if (ran('svr')) out.push({ key: 'pooling', label: 'SVR 벡터', text: report.pooling ? describePooling(report.pooling) : null });
  return out;
}
