"""Retrieval figures for scoring rules the engine does not run yet, computed in numpy from the model
folder's ONNX outputs, beside BM25 from the app's own CLI (`saegim eval --methods bm25 --run-dir`).

    python tools/train/pyeval.py assets/models/saegim-dlm-mini-ko [--choose]

Measures every variant (plain MaxSim, the query skiplists, learned query token weights, eojeol pooling,
SVR from the mean of token vectors and from the `pooled` output, RRF and min-max weighted-sum fusion) on
the tuning slice of StrategyQA-ko training rows, the demo queries (all / paraphrase / lexical) and the
held-out StrategyQA-ko rows, and writes `pyeval.json` into the model folder. With `--choose`, the MaxSim
variant and the fusion weight are picked on the tuning slice only and written into encoder.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

import scoring
from data import write_heldout_beir, write_tuning_beir, write_xnli_tuning_beir
from export import write_manifest

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "bin" / "saegim"
DEMO = ROOT / "assets" / "datasets" / "demo-ko"
DEPTH = 100


def read_beir(folder: Path, split: str) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, int]]]:
    corpus, queries, qrels = {}, {}, {}
    for line in open(folder / "corpus.jsonl", encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            corpus[r["_id"]] = f"{r['title']}\n{r['text']}" if r.get("title") else r["text"]
    for line in open(folder / "queries.jsonl", encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            queries[r["_id"]] = r["text"]
    for i, line in enumerate(open(folder / "qrels" / f"{split}.tsv", encoding="utf-8")):
        parts = line.rstrip("\n").split("\t")
        if i == 0 and parts[0] == "query-id":
            continue
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return corpus, queries, qrels


class Encoded:
    """One text's scorable tokens: unit vectors, ids, learned weights, eojeol index, pooled vector."""

    def __init__(self, vectors, ids, weights, words, pooled):
        self.vectors, self.ids, self.weights, self.words, self.pooled = vectors, ids, weights, words, pooled


class FolderEncoder:
    def __init__(self, folder: Path):
        self.manifest = json.loads((folder / "encoder.json").read_text())
        self.tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tok.enable_truncation(self.manifest.get("maxLength", 512))
        self.session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.drop = {self.tok.token_to_id(t) for t in self.manifest.get("dropTokens", [])} - {None}

    def encode(self, texts: list[str], batch: int = 16) -> list[Encoded]:
        out: list[Encoded] = []
        encs = self.tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        result: dict[int, Encoded] = {}
        for k in range(0, len(order), batch):
            chunk = order[k : k + batch]
            length = max(len(encs[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for r, i in enumerate(chunk):
                ids[r, : len(encs[i].ids)] = encs[i].ids
                mask[r, : len(encs[i].ids)] = 1
            got = dict(zip(self.outputs, self.session.run(self.outputs, {"input_ids": ids, "attention_mask": mask})))
            for r, i in enumerate(chunk):
                e = encs[i]
                keep = [j for j, t in enumerate(e.ids) if t not in self.drop]
                v = got["last_hidden_state"][r, keep]
                v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
                w = got["token_weights"][r, keep] if "token_weights" in got else None
                result[i] = Encoded(v, [e.ids[j] for j in keep], w, eojeols(texts[i], [e.offsets[j] for j in keep]), got["pooled"][r] if "pooled" in got else None)
        return [result[i] for i in range(len(texts))]


def eojeols(text: str, offsets: list[tuple[int, int]]) -> list[int]:
    """Index of the whitespace-delimited word each token starts in."""
    starts = [0] * (len(text) + 1)
    n = 0
    for c in range(1, len(text) + 1):
        if text[c - 1].isspace() and (c == len(text) or not text[c].isspace()):
            n += 1
        starts[c] = n
    return [starts[min(s, len(text))] for s, _ in offsets]


def mean_pool(v: np.ndarray) -> np.ndarray:
    m = v.sum(0)
    return m / max(float(np.linalg.norm(m)), 1e-12)


def variants(enc: FolderEncoder) -> dict:
    """name → (query_side(Encoded) → (vectors, weights), doc_side(Encoded) → vectors)."""
    vocab = enc.tok.get_vocab()
    skip = {vocab[t] for t in scoring.skiplist_tokens(vocab)}
    skip_q = {vocab[t] for t in scoring.skiplist_tokens(vocab, interrogatives=True)}

    def drop(s):
        def side(e):
            keep = [i for i, t in enumerate(e.ids) if t not in s]
            return e.vectors[keep], None
        return side

    def weighted(s):
        def side(e):
            keep = [i for i, t in enumerate(e.ids) if t not in s]
            return e.vectors[keep], e.weights[keep]
        return side

    doc = lambda e: e.vectors  # noqa: E731
    out = {
        "plain": (lambda e: (e.vectors, None), doc),
        "skiplist": (drop(skip), doc),
        "skiplist+interrogatives": (drop(skip_q), doc),
        "eojeol-pooled": (lambda e: (scoring.eojeol_pool(e.vectors, e.words), None), lambda e: scoring.eojeol_pool(e.vectors, e.words)),
    }
    if enc.manifest.get("scoring", {}).get("queryTokenWeights") or "token_weights" in enc.outputs:
        out["token-weights"] = (weighted(set()), doc)
        out["token-weights+skiplist"] = (weighted(skip), doc)
    return out


def mvr_runs(qenc: dict[str, Encoded], denc: dict[str, Encoded], q_side, d_side) -> dict[str, dict[str, float]]:
    """scoring.maxsim for every (query, passage), computed against all passages' tokens at once."""
    ids = list(denc)
    mats = [d_side(denc[d]) for d in ids]
    starts = np.cumsum([0] + [len(m) for m in mats[:-1]])
    D = np.concatenate(mats)
    runs = {}
    for q, e in qenc.items():
        v, w = q_side(e)
        if len(v) == 0:
            runs[q] = {}
            continue
        best = np.maximum.reduceat(v @ D.T, starts, axis=1)  # [query tokens, passages]
        s = best.sum(0) if w is None else (best * w[:, None]).sum(0)
        runs[q] = scoring.top(dict(zip(ids, map(float, s))), DEPTH)
    return runs


def svr_runs(qenc, denc, pick) -> dict[str, dict[str, float]]:
    ids = list(denc)
    D = np.stack([pick(denc[d]) for d in ids])
    D = D / np.maximum(np.linalg.norm(D, axis=1, keepdims=True), 1e-12)
    runs = {}
    for q, e in qenc.items():
        s = D @ pick(e)
        runs[q] = scoring.top(dict(zip(ids, map(float, s))), DEPTH)
    return runs


def rrf(lists: list[dict[str, float]], k: int = 60) -> dict[str, float]:
    """The engine's hybrid (main/search/hybrid.ts): Σ 1/(k + rank), equal sums ordered by the better best
    rank, then the earlier list, then the earlier place in it; returned as descending scores in that order."""
    fused: dict[str, list] = {}
    for li, run in enumerate(lists):
        for pos, d in enumerate(scoring.ranked(run)):
            rank = pos + 1
            if d in fused:
                fused[d][0] += 1 / (k + rank)
                fused[d][1] = min(fused[d][1], rank)
            else:
                fused[d] = [1 / (k + rank), rank, li, pos]
    order = sorted(fused, key=lambda d: (-fused[d][0], fused[d][1], fused[d][2], fused[d][3]))
    return {d: float(len(order) - i) for i, d in enumerate(order)}


def bm25_run(dataset: Path, model: Path, db: Path, split: str, name: str, run_dir: Path) -> dict:
    cmd = [str(CLI), "eval", str(dataset), "--model", str(model), "--db", str(db), "--split", split, "--name", name, "--methods", "bm25,mvr", "--run-dir", str(run_dir), "--json"]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def measure(enc: FolderEncoder, model: Path, tmp: Path, dataset: Path, name: str, splits: list[tuple[str, str]]) -> list[dict]:
    """Encodes the dataset once and scores every split on it; BM25 (and the app's own figures) from one
    `saegim eval` over the `test` split, whose queries include every other split's."""
    corpus, queries, qrels_all = read_beir(dataset, "test")
    started = time.time()
    run_dir = tmp / f"runs-{name}"
    app = bm25_run(dataset, model, tmp / "eval.db", "test", name, run_dir)
    bm25 = scoring.read_trec(run_dir / "bm25.trec")
    dids = list(corpus)
    denc = dict(zip(dids, enc.encode([corpus[d] for d in dids])))
    qids = [q for q in queries if q in qrels_all]
    qenc = dict(zip(qids, enc.encode([queries[q] for q in qids])))
    runs = {f"mvr:{v}": mvr_runs(qenc, denc, qs, ds) for v, (qs, ds) in variants(enc).items()}
    runs["svr:mean-of-token-vectors"] = svr_runs(qenc, denc, lambda e: mean_pool(e.vectors))
    if "pooled" in enc.outputs:
        runs["svr:pooled"] = svr_runs(qenc, denc, lambda e: e.pooled)
    runs["bm25"] = {q: scoring.top(bm25.get(q, {}), DEPTH) for q in qids}
    out = []
    for label, split in splits:
        _, _, qrels = read_beir(dataset, split)
        figures = {k: scoring.mean_ndcg(r, qrels) for k, r in runs.items()}
        for k in [k for k in runs if k.startswith("mvr:")]:
            figures[f"rrf({k},bm25)"] = scoring.mean_ndcg({q: rrf([runs[k].get(q, {}), runs["bm25"].get(q, {})]) for q in qrels}, qrels)
        print(label, json.dumps({k: round(v, 3) for k, v in figures.items()}), f"({time.time() - started:.0f}s)", flush=True)
        out.append({"label": label, "split": split, "queries": len(qrels), "ndcg@10": figures, "app_test_split": {m: v["ndcg@10"] for m, v in app["methods"].items()}, "_runs": runs, "_qrels": qrels})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--choose", action="store_true", help="pick the MaxSim variant and fusion weight on the tuning slice and write them into encoder.json")
    args = ap.parse_args()
    model = Path(args.model).resolve()
    enc = FolderEncoder(model)
    results = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        write_tuning_beir(tmp / "strategyqa-ko-tuning")
        write_xnli_tuning_beir(tmp / "kornli-xnli-dev")
        write_heldout_beir(tmp / "strategyqa-ko-heldout")
        results += measure(enc, model, tmp, tmp / "strategyqa-ko-tuning", "strategyqa-ko-tuning", [("StrategyQA-ko tuning slice (training rows)", "test")])
        results += measure(enc, model, tmp, tmp / "kornli-xnli-dev", "kornli-xnli-dev", [("KorNLI-XNLI dev, entailed hypothesis → premise (tuning)", "test")])
        results += measure(enc, model, tmp, DEMO, "demo-ko", [("demo-ko, all queries", "test"), ("demo-ko, paraphrase split", "paraphrase"), ("demo-ko, lexical split", "lexical")])
        results += measure(enc, model, tmp, tmp / "strategyqa-ko-heldout", "strategyqa-ko-heldout", [("StrategyQA-ko held-out 20%", "test")])
    tuning = results[:2]
    mvr_variants = [k for k in tuning[0]["ndcg@10"] if k.startswith("mvr:")]
    # Both tuning sets count equally; plain MaxSim wins ties, as the rule the engine already runs.
    chosen = max(mvr_variants, key=lambda k: (round(sum(t["ndcg@10"][k] for t in tuning) / 2, 12), k == "mvr:plain"))
    w, curve = fusion_weight_on(tuning, chosen)
    for r in results:
        for k in mvr_variants:
            fused = {q: scoring.wsum_fuse([scoring.top(r["_runs"][k].get(q, {}), DEPTH), r["_runs"]["bm25"].get(q, {})], [w, 1 - w]) for q in r["_qrels"]}
            r["ndcg@10"][f"wsum({k},bm25; w={w:g})"] = scoring.mean_ndcg(fused, r["_qrels"])
        print(r["label"], f"wsum w={w:g}:", json.dumps({k.split(';')[0]: round(v, 3) for k, v in r["ndcg@10"].items() if k.startswith("wsum")}), flush=True)
    report = {
        "chosen_on": " + ".join(t["label"] for t in tuning),
        "chosen_variant": chosen,
        "fusion": {"method": "wsum", "norm": "min-max", "depth": DEPTH, "mvr_weight": w, "curve": [[a, round(b, 4)] for a, b in curve]},
        "runs": [{k: v for k, v in r.items() if not k.startswith("_")} for r in results],
        "date": time.strftime("%Y-%m-%d"),
    }
    (model / "pyeval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"chosen on the tuning sets: {chosen}, fusion w = {w:g}; wrote {model / 'pyeval.json'}")
    if args.choose:
        apply_choice(model, enc, chosen, w, " + ".join(t["label"] for t in tuning))


def fusion_weight_on(tuning: list[dict], chosen: str) -> tuple[float, list[tuple[float, float]]]:
    """scoring.fusion_weight over the tuning sets' queries pooled (query ids are distinct across them)."""
    mvr, bm25, qrels = {}, {}, {}
    for t in tuning:
        mvr.update(t["_runs"][chosen])
        bm25.update(t["_runs"]["bm25"])
        qrels.update(t["_qrels"])
    return scoring.fusion_weight(mvr, bm25, qrels, DEPTH)


def apply_choice(model: Path, enc: FolderEncoder, chosen: str, w: float, chosen_on: str) -> None:
    manifest = dict(enc.manifest)
    vocab = enc.tok.get_vocab()
    name = chosen.split(":", 1)[1]
    manifest["querySkiplist"] = scoring.skiplist_tokens(vocab, interrogatives="interrogatives" in name) if "skiplist" in name else []
    scoring_rules = {"queryTokenWeights": "token_weights" if name.startswith("token-weights") else None, "eojeolPooling": name == "eojeol-pooled"}
    manifest["scoring"] = scoring_rules
    manifest["fusion"] = {"method": "wsum", "norm": "min-max", "depth": DEPTH, "weights": {"mvr": w, "bm25": round(1 - w, 10)}, "mvrScoring": name, "chosenOn": chosen_on}
    write_manifest(model, manifest)
    print(f"encoder.json: scoring {json.dumps(scoring_rules)}, querySkiplist {len(manifest['querySkiplist'])} tokens, fusion w = {w:g}")


if __name__ == "__main__":
    main()
