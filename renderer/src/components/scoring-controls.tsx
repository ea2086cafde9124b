import { describeQueryScoring } from '../../../main/contract/describe.js';
import { FUSION_CHOICES, TOKEN_INDEX_CHOICES, type FusionChoice, type QueryScoring, type TokenIndexChoice } from '../logic/scoring.js';

export const QUERY_SCORING_LABEL = '모델의 질의 가중치';

/** The model's query scoring on or off; the same control in Search, Alignment and Evaluate. */
export function QueryScoringToggle({ value, onChange, disabled = false, title }: { value: QueryScoring; onChange(s: QueryScoring): void; disabled?: boolean; title?: string }) {
  return (
    <label className="check" title={title ?? `Model's query scoring\n켜면: ${describeQueryScoring('model')}\n끄면: ${describeQueryScoring('plain')}`}>
      <input
        type="checkbox"
        checked={value === 'model'}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked ? 'model' : 'plain')}
        data-testid="query-scoring-toggle"
      />
      {QUERY_SCORING_LABEL}
    </label>
  );
}

export function FusionSelect({ value, onChange, disabled = false }: { value: FusionChoice; onChange(f: FusionChoice): void; disabled?: boolean }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as FusionChoice)} aria-label="Hybrid 결합 방식" disabled={disabled} data-testid="fusion-select">
      {FUSION_CHOICES.map((c) => (
        <option key={c.value} value={c.value}>
          {c.label}
        </option>
      ))}
    </select>
  );
}

/**
 * Which token index ranks MVR, for a collection that has a compressed one; `current` false says it misses
 * passages indexed since it was built (the engine's default then scans exactly).
 */
export function TokenIndexSelect({ value, onChange, current, disabled = false }: { value: TokenIndexChoice; onChange(c: TokenIndexChoice): void; current: boolean; disabled?: boolean }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as TokenIndexChoice)} aria-label="MVR 토큰 인덱스" disabled={disabled} data-testid="token-index-select">
      {TOKEN_INDEX_CHOICES.map((c) => (
        <option key={c.value} value={c.value}>
          {c.label}
          {c.value === 'compressed' && !current ? ' (갱신 필요)' : ''}
        </option>
      ))}
    </select>
  );
}
