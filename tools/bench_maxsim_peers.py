"""MaxSim peers for `saegim bench maxsim --peer`: mixedbread's maxsim-cpu and numpy, on the same workload.

    .venv-bench/bin/python tools/bench_maxsim_peers.py --docs 20000 --doc-tokens 128 --query-tokens 32 --dim 128

One query of random unit vectors scored exactly against every document held in memory as float32, as the
app's benchmark does. Prints one JSON object: docs/s (best of --repeats) for each peer. numpy's speed depends on
its BLAS; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE should be unset in the calling environment.
"""
from __future__ import annotations

import json

import numpy as np

from bench_maxsim_numpy import best_seconds, score_blocks, workload, workload_args


def best_rate(fn, docs: int, repeats: int) -> float:
    """Documents a second in the fastest of `repeats` calls, after one untimed call."""
    fn()
    return docs / best_seconds(fn, repeats)


def main() -> None:
    args = workload_args()
    docs, query = workload(args)
    out: dict[str, object] = {}

    flat = docs.reshape(-1, args.dim)
    scores = np.empty(args.docs, dtype=np.float32)

    def numpy_scan() -> None:
        score_blocks(query, flat, args.doc_tokens, args.block, scores)

    out["numpy_docs_per_s"] = best_rate(numpy_scan, args.docs, args.repeats)
    try:
        import maxsim_cpu

        check = maxsim_cpu.maxsim_scores(query, docs[:64])
        numpy_scan()
        if not np.allclose(check, scores[:64], atol=1e-3):
            raise SystemExit("maxsim-cpu and numpy disagree on the scores")
        out["maxsim_cpu_docs_per_s"] = best_rate(lambda: maxsim_cpu.maxsim_scores(query, docs), args.docs, args.repeats)
        out["maxsim_cpu_version"] = getattr(maxsim_cpu, "__version__", "0.1.0")
    except ImportError:
        out["maxsim_cpu_docs_per_s"] = None
    out["numpy_version"] = np.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
