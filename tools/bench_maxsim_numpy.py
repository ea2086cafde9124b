"""Reference MaxSim scorer in numpy, for comparing `saegim bench maxsim` with one sgemm per block.

    python tools/bench_maxsim_numpy.py --docs 20000 --doc-tokens 128 --query-tokens 32 --dim 128

Same workload as the app's benchmark: one query of random unit vectors scored exactly against every
document held in memory as float32. Prints {"docs_per_s": x, "blas": "..."}; numpy's speed depends on the
BLAS it is linked with (Debian's numpy follows the libblas.so.3 alternative, e.g. libopenblas0-pthread).
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np


def unit(rng: np.random.Generator, *shape: int) -> np.ndarray:
    x = rng.standard_normal(shape, dtype=np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def score_blocks(query: np.ndarray, flat: np.ndarray, doc_tokens: int, block: int, scores: np.ndarray) -> None:
    """MaxSim of `query` against documents of `doc_tokens` rows each in `flat`, one sgemm per `block` documents."""
    docs = scores.shape[0]
    for start in range(0, docs, block):
        end = min(docs, start + block)
        sims = query @ flat[start * doc_tokens : end * doc_tokens].T
        scores[start:end] = sims.reshape(query.shape[0], end - start, doc_tokens).max(axis=2).sum(axis=0)


def workload_args() -> argparse.Namespace:
    """The flags of the app's `bench maxsim` workload, shared with bench_maxsim_peers.py."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--doc-tokens", type=int, default=128)
    ap.add_argument("--query-tokens", type=int, default=32)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--block", type=int, default=256, help="numpy: documents per sgemm")
    ap.add_argument("--repeats", type=int, default=5)
    return ap.parse_args()


def workload(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """[docs, doc_tokens, dim] documents and a [query_tokens, dim] query of seeded random unit vectors."""
    rng = np.random.default_rng(0)
    docs = unit(rng, args.docs, args.doc_tokens, args.dim)
    return docs, unit(rng, args.query_tokens, args.dim)


def best_seconds(fn, repeats: int) -> float:
    """The fastest of `repeats` timed calls of `fn`."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    args = workload_args()
    docs, query = workload(args)
    scores = np.empty(args.docs, dtype=np.float32)
    flat = docs.reshape(-1, args.dim)
    best = best_seconds(lambda: score_blocks(query, flat, args.doc_tokens, args.block, scores), args.repeats)
    print(json.dumps({"docs_per_s": round(args.docs / best), "seconds": round(best, 4), "blas": loaded_blas()}))


def loaded_blas() -> str:
    """The BLAS library this process actually mapped (Debian's numpy follows the libblas.so.3 alternative)."""
    try:
        with open("/proc/self/maps") as maps:
            names = {line.split()[-1].rsplit("/", 1)[-1] for line in maps if "blas" in line.lower()}
        return ", ".join(sorted(names)) or "none found"
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
