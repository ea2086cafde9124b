"""How the bundled model's scores are put together, in numpy: MaxSim with a query skiplist or learned
query token weights, eojeol pooling, pooled single-vector cosine, min-max weighted-sum fusion, and the
trec_eval-style nDCG@10 they are compared with. The engine implements the same rules from encoder.json
(tools/train/README.md, "Scoring contract").
"""
from __future__ import annotations

import math

import numpy as np

# Korean particles (josa) and the copula/question endings that close a query. They attach to the end of an
# eojeol, so WordPiece leaves them as continuation pieces ("##은"); only those are listed, never a
# standalone "이" (this) or "가" (go). Each appears in almost every passage, so its best match anywhere is
# high and says nothing about which passage answers the question.
PARTICLES = [
    "이", "가", "은", "는", "을", "를", "의", "에", "에서", "에게", "께", "께서", "한테", "로", "으로", "와", "과",
    "도", "만", "까지", "부터", "보다", "처럼", "이나", "나", "랑", "이랑", "하고", "에는", "에서는", "으로는", "로는",
    "이란", "란", "이라는", "라는", "이며", "며", "이고", "고", "이다", "다", "요", "이요",
]
ENDINGS = [
    "까", "니까", "습니까", "ㅂ니까", "나요", "가요", "인가요", "인가", "인지", "는가", "는지", "은가", "을까", "을까요",
    "ㄹ까", "ㄹ까요", "니", "냐", "이냐", "어요", "아요", "예요", "이에요", "에요", "죠", "지요", "야", "이야", "래",
]
PUNCTUATION = ["?", ".", "!", ",", "~", "…", "\"", "'", "(", ")"]
# Question words: they ask for the answer rather than name it, and their pieces prefix unrelated words
# (누구 → 누구나); a second, stronger skiplist.
INTERROGATIVES = ["누구", "무엇", "무엇을", "뭐", "뭘", "어디", "어디서", "언제", "어떻게", "왜", "몇", "어느", "무슨", "어떤", "얼마", "얼마나"]


def skiplist_tokens(vocab: dict[str, int], interrogatives: bool = False) -> list[str]:
    """Vocabulary entries of the query skiplist, in id order: particle and ending pieces as continuation
    pieces, punctuation and (optionally) question words as whole tokens."""
    wanted = {"##" + p for p in PARTICLES + ENDINGS} | set(PUNCTUATION)
    if interrogatives:
        wanted |= set(INTERROGATIVES) | {"##" + w for w in INTERROGATIVES}
    return sorted((t for t in wanted if t in vocab), key=lambda t: vocab[t])


def query_skiplist_ids(tok, interrogatives: bool = False) -> list[int]:
    vocab = tok.get_vocab()
    return [vocab[t] for t in skiplist_tokens(vocab, interrogatives)]


def maxsim(q: np.ndarray, d: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Σ_i w_i · max_j q_i·d_j over unit rows (w = 1 without weights): the engine's sum, a query token
    with weight 0 contributing nothing."""
    if len(q) == 0 or len(d) == 0:
        return 0.0
    best = (q @ d.T).max(1)
    return float(best.sum() if weights is None else (best * weights).sum())


def eojeol_pool(vectors: np.ndarray, words: list[int]) -> np.ndarray:
    """Mean of the piece vectors of each eojeol (whitespace-delimited word), re-normalised: one vector per
    word, so a particle piece only counts through the word it ends."""
    groups: dict[int, list[int]] = {}
    for i, w in enumerate(words):
        groups.setdefault(w, []).append(i)
    out = np.stack([vectors[idx].mean(0) for _, idx in sorted(groups.items())]) if groups else vectors[:0]
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def min_max(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo <= 0:
        return {k: 1.0 for k in scores}
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


def wsum_fuse(runs: list[dict[str, float]], weights: list[float]) -> dict[str, float]:
    """ranx's `wsum` with `min-max` norm: each run min-max normalised over its own list, a passage missing
    from a list adding 0, then Σ_k w_k · mm_k(d) over the union of the lists."""
    fused: dict[str, float] = {}
    for run, w in zip(runs, weights):
        for doc, s in min_max(run).items():
            fused[doc] = fused.get(doc, 0.0) + w * s
    return fused


def ranked(run: dict[str, float], k: int | None = None) -> list[str]:
    """trec_eval order: score descending, equal scores by document id descending."""
    order = sorted(run.items(), key=lambda kv: kv[0], reverse=True)
    order.sort(key=lambda kv: -kv[1])
    return [d for d, _ in (order if k is None else order[:k])]


def ndcg_at_k(run: dict[str, float], qrels: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gain (trec_eval's ndcg_cut): DCG = Σ rel_i / log2(i + 1)."""
    ideal = sorted((r for r in qrels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    if idcg == 0:
        return 0.0
    dcg = sum(qrels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked(run, k)))
    return dcg / idcg


def mean_ndcg(runs: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]], k: int = 10) -> float:
    """Mean over the judged queries; a judged query without a run scores 0."""
    return float(np.mean([ndcg_at_k(runs.get(q, {}), rels, k) for q, rels in qrels.items()])) if qrels else 0.0


def top(run: dict[str, float], depth: int) -> dict[str, float]:
    return {d: run[d] for d in ranked(run, depth)}


def fusion_weight(mvr: dict[str, dict[str, float]], bm25: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]], depth: int = 100, step: float = 0.05) -> tuple[float, list[tuple[float, float]]]:
    """The MVR weight w of score = w·mm(mvr) + (1−w)·mm(bm25) (over each list's top `depth`) with the best
    mean nDCG@10 on `qrels`, searched on a grid of `step`; ties go to the w nearest 0.5, the equal-weight
    prior. Returns (w, [(w, nDCG@10)…])."""
    grid = [round(i * step, 10) for i in range(int(round(1 / step)) + 1)]
    curve = []
    for w in grid:
        fused = {q: wsum_fuse([top(mvr.get(q, {}), depth), top(bm25.get(q, {}), depth)], [w, 1 - w]) for q in qrels}
        curve.append((w, mean_ndcg(fused, qrels)))
    best = max(curve, key=lambda c: (round(c[1], 12), -abs(c[0] - 0.5)))
    return best[0], curve


def read_trec(path) -> dict[str, dict[str, float]]:
    runs: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6:
                runs.setdefault(parts[0], {})[parts[2]] = float(parts[4])
    return runs
