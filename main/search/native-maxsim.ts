import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SaegimError } from '../contract/errors.js';
import { packageRoot, unpacked } from '../paths.js';

/** Instruction sets the fused kernel is compiled for, best last. */
export const KERNEL_ISAS = ['scalar', 'avx2', 'avx512'] as const;
export type KernelIsa = (typeof KERNEL_ISAS)[number];

/** One block as the fused kernel reads it: `docs` documents padded to `length` rows of the index's width. */
export interface NativeBlock {
  data: Float32Array | Uint16Array;
  docs: number;
  length: number;
  /** `keep[b * length + j] = 0` leaves row j of document b out; null scores every row. */
  keep: Uint8Array | null;
  out: Float32Array;
}

/** The addon's surface (main/search/native/maxsim-addon.c). */
interface Addon {
  isa(): KernelIsa;
  score(blocks: NativeBlock[], dim: number, queryT: Float32Array, qpad: number, queryTokens: number, threads: number, isa?: KernelIsa): Promise<void>;
}

export interface NativeMaxSim {
  /** The best instruction set this CPU runs the kernel with. */
  readonly isa: KernelIsa;
  /**
   * Scores every block against one query into each block's `out`, on a worker thread. `isa` picks a lesser
   * instruction set than the CPU's best (for tests and benchmarks).
   */
  score(blocks: NativeBlock[], dim: number, query: { length: number; data: Float32Array }, threads: number, isa?: KernelIsa): Promise<void>;
}

/** Where `npm run build:engine` (scripts/build-native.mjs) puts the addon (unpacked beside a packaged app's asar). */
export function nativeMaxSimPath(): string {
  return unpacked(join(packageRoot(), 'dist', 'native', 'saegim_maxsim.node'));
}

let loaded: NativeMaxSim | null | undefined;
let loadError: string | null = null;

/**
 * The fused MaxSim kernel, or null where it was not built (no C compiler at install) or
 * `SAEGIM_MAXSIM_KERNEL=onnx` asks for the onnxruntime graph instead. Loaded once.
 */
export function nativeMaxSim(): NativeMaxSim | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.SAEGIM_MAXSIM_KERNEL === 'onnx') return loaded;
  const path = nativeMaxSimPath();
  if (!existsSync(path)) {
    loadError = `${path} was not built`;
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as Addon;
    const isa = addon.isa();
    loaded = {
      isa,
      score: (blocks, dim, query, threads, want) => {
        if (query.data.length < query.length * dim) throw new SaegimError('bad-input', `query holds ${query.data.length} values, not ${query.length} tokens × ${dim}`);
        const qpad = Math.ceil(query.length / 16) * 16;
        return addon.score(blocks, dim, transposePadded(query.data, query.length, dim, qpad), qpad, query.length, threads, want);
      },
    };
  } catch (err) {
    loadError = `${path}: ${(err as Error).message}`;
  }
  return loaded;
}

/** Why `nativeMaxSim()` is null, for `saegim bench` and diagnostics; null when it loaded or was not asked for. */
export function nativeMaxSimError(): string | null {
  nativeMaxSim();
  return loadError;
}

/**
 * `[Q, dim]` row-major to `[dim, qpad]`, the right-hand operand of both kernels; the columns past Q stay zero
 * (a zero column adds 0 to every sum).
 */
export function transposePadded(data: Float32Array, length: number, dim: number, qpad: number): Float32Array {
  const out = new Float32Array(dim * qpad);
  for (let i = 0; i < length; i++) for (let k = 0; k < dim; k++) out[k * qpad + i] = data[i * dim + k]!;
  return out;
}
