import type { CSSProperties } from 'react';
import type { SearchMethod } from '../../../main/contract/types.js';
import { METHOD_LABEL, METHOD_ORDER } from '../logic/evaluation.js';

export const METHOD_COLOUR: Record<SearchMethod, string> = {
  mvr: '#2563a8',
  bm25: '#b4632d',
  svr: '#2f8a6b',
  hybrid: '#7a4fa0',
};

export const methodStyle = (m: SearchMethod) => ({ '--method-colour': METHOD_COLOUR[m] }) as CSSProperties;

export function MethodName({ method }: { method: SearchMethod }) {
  return (
    <span className="row" style={{ gap: 6, display: 'inline-flex' }}>
      <span className="method-dot" style={methodStyle(method)} />
      {METHOD_LABEL[method]}
    </span>
  );
}

/** A drop-down of the four methods, used wherever one method is the reference for the others. */
export function MethodSelect({ value, onChange, label }: { value: SearchMethod; onChange: (m: SearchMethod) => void; label: string }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as SearchMethod)} aria-label={label}>
      {METHOD_ORDER.map((m) => (
        <option key={m} value={m}>
          {METHOD_LABEL[m]}
        </option>
      ))}
    </select>
  );
}
