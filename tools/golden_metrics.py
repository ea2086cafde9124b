"""Golden values for main/eval/metrics.ts from trec_eval's own code (pytrec_eval), for
test/unit/metrics-golden.test.ts.

    python3 -m venv /tmp/venv-golden
    /tmp/venv-golden/bin/pip install -r tools/requirements-golden.txt
    /tmp/venv-golden/bin/python tools/golden_metrics.py            # rewrites test/fixtures/metrics-golden.json
    /tmp/venv-golden/bin/python tools/golden_metrics.py --check    # fails if the committed fixture is stale

Saegim name     trec_eval measure                        notes
hit@k           success.k
ndcg@k          ndcg_cut.k                               gain = grade, 1/log2(rank + 1), ideal from all judged
recall@k        recall.k
mrr@k           recip_rank on the top k                  trec_eval's recip_rank has no cut-off of its own

Both sides have to see the same ranked list, so these rules hold for every case:
  * Saegim reads a ranking in array order; trec_eval sorts by score descending and breaks ties by docid
    descending (strcmp on UTF-8 bytes, which orders like Python's code-point comparison). Each run here is
    written in trec_eval's order, tied scores included, and check_order() proves it by re-scoring every run
    with strictly decreasing synthetic scores and requiring identical values.
  * trec_eval rejects a run that lists a docid twice for one query (and pytrec_eval takes a dict, which
    cannot). Saegim counts a repeated passage only at its first place, later copies taking no rank, which
    is trec_eval on the run with the later copies deleted, so that is what pytrec_eval is given.
  * trec_eval scores only queries present in both run and qrels. A judged query missing from the run (or
    with an empty ranking) scores 0 on every measure, as under trec_eval -c.
  * Queries whose judgements are all ≤ 0: trec_eval scores them 0 on every measure and counts them in its
    mean. Saegim leaves them out of both perQuery and the mean. The fixture keeps trec_eval's per-query
    zeros (checked against the metric functions) and gives three means: `mean` (Saegim's convention, what
    evaluateRun must return), `trec_eval_mean` (the default intersection) and `trec_eval_c_mean` (-c).
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import random
import sys
from pathlib import Path

import pytrec_eval

CUTOFFS = (1, 3, 5, 10, 20, 100)
SEED = 20240611
FIXTURE = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "metrics-golden.json"
MEASURES = {f"ndcg_cut.{','.join(map(str, CUTOFFS))}", f"recall.{','.join(map(str, CUTOFFS))}",
            f"success.{','.join(map(str, CUTOFFS))}", "recip_rank", "num_rel"}

Ranking = list  # [[docId, score], ...] best first


def trec_order(ranking: Ranking) -> Ranking:
    """Sorts as trec_eval does: score descending, then docid descending."""
    by_doc = sorted(ranking, key=lambda h: h[0], reverse=True)
    return sorted(by_doc, key=lambda h: h[1], reverse=True)


def first_places(ranking: Ranking) -> Ranking:
    seen: set[str] = set()
    out = []
    for doc, score in ranking:
        if doc not in seen:
            seen.add(doc)
            out.append([doc, score])
    return out


def trec_eval_query(judged: dict[str, int], ranking: Ranking) -> dict[str, float]:
    """Every Saegim metric at every cut-off for one query, from pytrec_eval."""
    ranking = first_places(ranking)
    evaluator = pytrec_eval.RelevanceEvaluator({"q": judged}, MEASURES)
    full = evaluator.evaluate({"q": {doc: float(score) for doc, score in ranking}})["q"]
    values: dict[str, float] = {}
    for k in CUTOFFS:
        values[f"hit@{k}"] = full[f"success_{k}"]
        values[f"ndcg@{k}"] = full[f"ndcg_cut_{k}"]
        values[f"recall@{k}"] = full[f"recall_{k}"]
        top = pytrec_eval.RelevanceEvaluator({"q": judged}, {"recip_rank"}).evaluate(
            {"q": {doc: float(score) for doc, score in ranking[:k]}})["q"]
        values[f"mrr@{k}"] = top["recip_rank"]
    values["num_rel"] = full["num_rel"]
    return values


def check_order(name: str, qid: str, judged: dict[str, int], ranking: Ranking) -> None:
    """The array order must be trec_eval's order, or the two sides would rank different lists."""
    deduped = first_places(ranking)
    if trec_order(deduped) != deduped:
        raise SystemExit(f"{name}/{qid}: run is not in trec_eval order (score desc, docid desc)")
    synthetic = [[doc, float(len(deduped) - i)] for i, (doc, _) in enumerate(deduped)]
    if trec_eval_query(judged, ranking) != trec_eval_query(judged, synthetic):
        raise SystemExit(f"{name}/{qid}: trec_eval ranks the run differently from its array order")


def evaluate_case(name: str, qrels: dict[str, dict[str, int]], run: dict[str, Ranking]) -> dict:
    per_query: dict[str, dict[str, float]] = {}
    for qid, judged in qrels.items():
        ranking = run.get(qid, [])
        check_order(name, qid, judged, ranking)
        per_query[qid] = trec_eval_query(judged, ranking)
    keys = [f"{m}@{k}" for k in CUTOFFS for m in ("hit", "ndcg", "mrr", "recall")]

    def mean(qids: list[str]) -> dict[str, float]:
        return {key: (sum(per_query[q][key] for q in qids) / len(qids) if qids else 0.0) for key in keys}

    answerable = [q for q in qrels if per_query[q]["num_rel"] > 0]
    intersection = [q for q in qrels if q in run]
    return {
        "per_query": {q: {key: v[key] for key in keys} for q, v in per_query.items()},
        "excluded": sorted(q for q in qrels if per_query[q]["num_rel"] == 0),
        "mean": mean(answerable),
        "trec_eval_mean": mean(intersection),
        "trec_eval_c_mean": mean(list(qrels)),
    }


def ranked(*docs: str, top: float = 10.0, step: float = 1.0) -> Ranking:
    return [[d, top - i * step] for i, d in enumerate(docs)]


def hand_cases() -> list[dict]:
    cases = []

    cases.append({
        "name": "binary",
        "description": "binary qrels; relevant passages at ranks 2 and 4 and one never retrieved",
        "qrels": {"q1": {"d2": 1, "d4": 1, "d9": 1, "d5": 0}, "q2": {"a": 1}},
        "run": {"q1": ranked("d1", "d2", "d3", "d4", "d5"), "q2": ranked("a", "b")},
    })

    long_docs = [f"doc{i:03d}" for i in range(1, 131)]
    cases.append({
        "name": "graded",
        "description": "grades 0-3, ideal built from judged passages the run missed, more relevant than k",
        "qrels": {
            "g1": {"a": 1, "b": 0, "c": 3, "x": 2},
            "g2": {"p": 3, "q": 3, "r": 2, "s": 1, "t": 1, "u": 0},
            "g3": {d: 1 + (i % 3) for i, d in enumerate(long_docs[:30])},
            "g4": {"doc001": 3, "doc004": 1, "doc019": 2, "doc021": 2, "doc099": 1, "doc101": 3, "never": 2},
        },
        "run": {
            "g1": ranked("a", "b", "c"),
            "g2": ranked("s", "u", "p", "zz", "t", "q", "r"),
            "g3": ranked(*long_docs[::-1], top=200.0, step=0.5),
            "g4": ranked(*long_docs, top=1.0, step=0.005),
        },
    })

    cases.append({
        "name": "not-answerable",
        "description": "queries judged only 0 or below, one retrieved and one not; a run query absent from the qrels",
        "qrels": {
            "ok": {"r": 2},
            "zeros": {"z": 0, "y": 0},
            "negative": {"n": -1, "m": 0},
            "zeros-unretrieved": {"w": 0},
        },
        "run": {
            "ok": ranked("x", "r"),
            "zeros": ranked("z", "y", "v"),
            "negative": ranked("n", "m"),
            "unjudged-query": ranked("r", "z"),
        },
    })

    cases.append({
        "name": "short-runs",
        "description": "rankings shorter than every cut-off but 1, an empty one, and a judged query absent from the run",
        "qrels": {
            "len1": {"a": 1, "b": 2},
            "len2": {"c": 1, "a": 3},
            "empty": {"a": 1},
            "absent": {"a": 2, "b": 1},
            "len4": {"d": 1},
        },
        "run": {
            "len1": ranked("b"),
            "len2": ranked("x", "a"),
            "empty": [],
            "len4": ranked("a", "b", "c", "d"),
        },
    })

    cases.append({
        "name": "relevance-zero-and-negative",
        "description": "retrieved passages judged 0 or -1 above the relevant ones count as not relevant, gain 0",
        "qrels": {
            "q": {"bad": -1, "meh": 0, "good": 1},
            "r": {"neg": -2, "two": 2, "one": 1},
            "s": {"zero": 0, "three": 3},
        },
        "run": {
            "q": ranked("bad", "meh", "good"),
            "r": ranked("neg", "one", "two"),
            "s": ranked("zero", "zero2", "three", "zero3"),
        },
    })

    # Tied scores, written in trec_eval's order (docid descending within a score).
    cases.append({
        "name": "ties",
        "description": "equal scores ordered docid-descending as trec_eval breaks ties, groups straddling cut-offs",
        "qrels": {
            "t1": {"a": 1, "b": 0, "c": 2},
            "t2": {"B": 1, "a": 1},
            "t3": {"문서-가": 2, "문서-나": 1, "doc-z": 1},
            "t4": {f"e{i}": (1 if i % 4 == 0 else 0) for i in range(12)},
        },
        "run": {
            "t1": [["c", 1.0], ["b", 1.0], ["a", 1.0]],
            "t2": [["c", 2.0], ["a", 0.5], ["B", 0.5]],
            "t3": [["문서-다", 3.0], ["문서-나", 3.0], ["문서-가", 3.0], ["doc-z", 3.0], ["doc-a", 1.0]],
            "t4": trec_order([[f"e{i}", 5.0 if i < 6 else 2.0] for i in range(12)]),
        },
    })

    cases.append({
        "name": "duplicates",
        "description": "a passage listed twice counts only at its first place and its copy takes no rank",
        "qrels": {
            "d1": {"r": 1},
            "d2": {"r": 1, "s": 1},
            "d3": {"s": 2, "t": 1},
            "d4": {"t": 3},
        },
        "run": {
            "d1": ranked("r", "r", "x"),
            "d2": ranked("r", "r"),
            # Without the copies of x and r, s sits at rank 3 and t at rank 5.
            "d3": ranked("x", "r", "x", "s", "r", "u", "t"),
            "d4": ranked("n", "n", "n", "t"),
        },
    })
    return cases


def random_case(seed: int, queries: int) -> dict:
    rng = random.Random(seed)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, Ranking] = {}
    for qn in range(queries):
        qid = f"rq{qn:02d}"
        pool = [f"p{qn:02d}-{i:03d}" for i in range(rng.choice((20, 40, 160)))]
        judged = rng.sample(pool, rng.randint(1, min(30, len(pool))))
        grades = [rng.choice((0, 0, 1, 1, 2, 3)) for _ in judged]
        if qn % 9 == 4:
            grades = [0] * len(grades)
        qrels[qid] = dict(zip(judged, grades))
        if qn % 13 == 7:
            continue  # judged, never answered
        length = rng.choice((0, 1, 2, 4, 7, 12, 25, 60, 130))
        docs = rng.sample(pool, min(length, len(pool)))
        scores = sorted((round(rng.uniform(-5, 40), 3) for _ in docs), reverse=True)
        for i in range(1, len(scores)):
            if rng.random() < 0.12:
                scores[i] = scores[i - 1]
        ranking = trec_order([[d, s] for d, s in zip(docs, scores)])
        # Copies of earlier passages, each placed where its score still fits the order.
        for _ in range(rng.choice((0, 0, 0, 1, 3))):
            if len(ranking) < 2:
                break
            src = rng.randrange(len(ranking) - 1)
            dst = rng.randrange(src + 1, len(ranking) + 1)
            score = ranking[dst][1] if dst < len(ranking) else ranking[-1][1] - 1.0
            ranking.insert(dst, [ranking[src][0], min(score, ranking[dst - 1][1])])
        run[qid] = ranking
    for extra in range(3):
        run[f"unjudged-{extra}"] = ranked(*rng.sample(pool, 5))
    return {
        "name": f"random-seed-{seed}",
        "description": f"{queries} queries drawn with random.Random({seed}): graded qrels, all-zero queries, "
                       "unanswered queries, lengths 0-130, tied scores, duplicate passages",
        "qrels": qrels,
        "run": run,
    }


def check_random_dupes_are_ordered(case: dict) -> None:
    for qid, ranking in case["run"].items():
        scores = [s for _, s in ranking]
        if any(b > a for a, b in zip(scores, scores[1:])):
            raise SystemExit(f"{case['name']}/{qid}: scores increase down the ranking")


def build() -> dict:
    cases = hand_cases() + [random_case(SEED, 45)]
    out = []
    for case in cases:
        check_random_dupes_are_ordered(case)
        out.append({**case, "values": evaluate_case(case["name"], case["qrels"], case["run"])})
    return {
        "generator": "tools/golden_metrics.py",
        "library": f"pytrec_eval-terrier {importlib.metadata.version('pytrec_eval-terrier')}",
        "seed": SEED,
        "cutoffs": list(CUTOFFS),
        "measures": {
            "hit@k": "success.k",
            "ndcg@k": "ndcg_cut.k (linear gain = grade, log2(rank + 1) discount, ideal over all judged)",
            "recall@k": "recall.k",
            "mrr@k": "recip_rank over the first k of the ranking",
        },
        "relevance_level": 1,
        "run_format": "run[queryId] = [[docId, score], ...] in rank order (rank = position + 1), already in "
                      "trec_eval's order: score descending, ties by docid descending",
        "duplicates": "later copies of a docid are dropped before trec_eval sees the run",
        "means": {
            "mean": "over queries in the qrels with at least one judgement > 0; a judged query missing from "
                    "the run scores 0 (Saegim's evaluateRun)",
            "trec_eval_mean": "trec_eval's default: over queries in both qrels and run, all-zero queries included",
            "trec_eval_c_mean": "trec_eval -c: over every query in the qrels, missing ones scoring 0",
        },
        "cases": out,
    }


def dump(value, indent: int = 0) -> str:
    """JSON with one line per ranking or value table, so the fixture stays readable and diffable."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        flat = all(not isinstance(v, (dict, list)) for v in value.values())
        if flat and len(value) <= 30:
            return json.dumps(value, ensure_ascii=False)
        items = [f'{pad}  {json.dumps(k, ensure_ascii=False)}: {dump(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if all(not isinstance(v, dict) for v in value):
            return json.dumps(value, ensure_ascii=False)
        return "[\n" + ",\n".join(f"{pad}  {dump(v, indent + 1)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed fixture instead of writing")
    args = ap.parse_args()
    text = dump(build()) + "\n"
    if args.check:
        if FIXTURE.read_text(encoding="utf-8") != text:
            raise SystemExit(f"{FIXTURE} is stale: rerun tools/golden_metrics.py")
        print(f"{FIXTURE} is up to date")
        return
    FIXTURE.write_text(text, encoding="utf-8")
    print(f"wrote {FIXTURE} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
