"""The onnxruntime-Python peer of `saegim bench encode`: the same model.onnx, the same passages, the same
length-bucketed batches (at most 4,096 padded tokens), the same kept tokens, L2-normalised.

    .venv/bin/python tools/bench_encode_ort.py --docs 256
    .venv/bin/python tools/bench_encode_ort.py --model assets/models/saegim-dlm-mini-ko --threads 2

Texts are the bundled demo corpus (`title\\ntext`) repeated to --docs, as the app's benchmark reads them.
Tokenization (HF `tokenizers`, encode_batch) is timed with inference, as the app's encoder does it.
Prints one JSON object: {"tokens_per_s": x, "passages_per_s": x, "tokens": n, ...}.
Needs tools/requirements-train.txt (tokenizers, onnxruntime) and numpy.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parent.parent
TOKENS_PER_BATCH = 4096


def read_texts(corpus: Path, n: int) -> list[str]:
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [f"{r['title']}\n{r['text']}" if r.get("title") else r["text"] for r in rows]
    return [texts[i % len(texts)] for i in range(n)]


def batches(lengths: list[int]) -> list[list[int]]:
    """Indices sorted by length, cut where one more row would pad past TOKENS_PER_BATCH (main/encoders)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    out: list[list[int]] = []
    start = 0
    while start < len(order):
        longest = max(1, lengths[order[start]])
        end = start + 1
        while end < len(order) and (end - start + 1) * max(longest, lengths[order[end]]) <= TOKENS_PER_BATCH:
            end += 1
        out.append(order[start:end])
        start = end
    return out


class Peer:
    def __init__(self, model_dir: Path, threads: int) -> None:
        manifest = json.loads((model_dir / "encoder.json").read_text(encoding="utf-8"))
        self.manifest = manifest
        limit = manifest["maxLength"] - (1 if manifest.get("documentMarker") else 0)
        if manifest.get("documentMarker") or manifest.get("documentPrefix") or manifest.get("stripText"):
            raise SystemExit("this peer covers encoders without passage markers, prefixes or stripping")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(limit)
        self.add_special = manifest.get("addSpecialTokens", True)
        self.drop = {self.tokenizer.token_to_id(t) for t in manifest.get("dropTokens", []) + manifest.get("documentSkiplist", [])} - {None}
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 0:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.inputs = manifest["inputs"]
        self.output = manifest["output"]
        self.pad = manifest.get("padTokenId", 0)

    def encode(self, texts: list[str]) -> list[np.ndarray]:
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=self.add_special)
        ids = [e.ids for e in encodings]
        out: list[np.ndarray] = [np.empty(0)] * len(texts)
        for batch in batches([len(x) for x in ids]):
            length = max(1, max(len(ids[i]) for i in batch))
            input_ids = np.full((len(batch), length), self.pad, dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.int64)
            for row, i in enumerate(batch):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            feeds = {self.inputs["inputIds"]: input_ids, self.inputs["attentionMask"]: mask}
            if self.inputs.get("tokenTypeIds"):
                feeds[self.inputs["tokenTypeIds"]] = np.zeros_like(input_ids)
            if self.inputs.get("positionIds"):
                feeds[self.inputs["positionIds"]] = np.broadcast_to(np.arange(length, dtype=np.int64), input_ids.shape).copy()
            hidden = self.session.run([self.output], feeds)[0]
            for row, i in enumerate(batch):
                keep = [j for j, t in enumerate(ids[i]) if t not in self.drop]
                vectors = hidden[row, keep]
                if self.manifest.get("normalize", True):
                    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
                out[i] = vectors
        return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(ROOT / "assets/models/saegim-dlm-mini-ko"))
    ap.add_argument("--corpus", default=str(ROOT / "assets/datasets/demo-ko/corpus.jsonl"))
    ap.add_argument("--docs", type=int, default=256)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: onnxruntime's default)")
    ap.add_argument("--repeats", type=int, default=1, help="timed runs; the best is reported")
    args = ap.parse_args()
    peer = Peer(Path(args.model), args.threads)
    texts = read_texts(Path(args.corpus), args.docs)
    peer.encode(texts[: min(16, len(texts))])
    best = None
    tokens = 0
    for _ in range(args.repeats):
        started = time.perf_counter()
        vectors = peer.encode(texts)
        seconds = time.perf_counter() - started
        tokens = sum(v.shape[0] for v in vectors)
        best = seconds if best is None else min(best, seconds)
    assert best is not None
    print(
        json.dumps(
            {
                "engine": f"onnxruntime {ort.__version__} (Python), tokenizers (Rust) encode_batch",
                "passages": len(texts),
                "tokens": tokens,
                "tokens_per_s": tokens / best,
                "passages_per_s": len(texts) / best,
                "seconds": best,
                "threads": args.threads or os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
