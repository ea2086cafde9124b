/** A width reduction stored with a compressed index: PCA fitted on the vectors, or a seeded random map. */
export interface ProjectionSpec {
  kind: 'pca' | 'random';
  dim: number;
}

/** `pca:128` / `random:64` → the spec; null for anything else (the caller says what was wrong, and where). */
export function parseProjectionSpec(value: string): ProjectionSpec | null {
  const m = /^(pca|random):([1-9][0-9]*)$/.exec(value);
  return m ? { kind: m[1] as ProjectionSpec['kind'], dim: Number(m[2]) } : null;
}
