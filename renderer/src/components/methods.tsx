import type { CSSProperties } from 'react';
import type { SearchMethod } from '../../../main/types.js';
import { METHOD_LABEL } from '../logic/evaluation.js';

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
