"""Exports the trained encoder as a Saegim model folder and checks onnxruntime against torch."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from model import DiffusionEncoder, LastHiddenState

REFERENCE_TEXTS = ["서울은 대한민국의 수도이다.", "훈민정음은 1443년에 만들어졌다!", "광합성이란 무엇인가요?"]
TOLERANCE = 1e-4


OUTPUTS = ["last_hidden_state", "token_weights", "pooled"]


def export_model_folder(model: DiffusionEncoder, tok, out: Path, token_weights: bool = False, pooled: bool = False) -> dict:
    specials = [tok.token_to_id(t) for t in ["[CLS]", "[SEP]"]]
    wrapper = LastHiddenState(model, specials).eval()
    ids = torch.tensor([tok.encode("서울은 한국의 수도이다.").ids])
    mask = torch.ones_like(ids)
    path = out / "model.onnx"
    torch.onnx.export(
        wrapper,
        (ids, mask),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=OUTPUTS,
        dynamic_axes={"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"}, "last_hidden_state": {0: "batch", 1: "length"}, "token_weights": {0: "batch", 1: "length"}, "pooled": {0: "batch"}},
        opset_version=14,
        do_constant_folding=True,
    )
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    reference = []
    tok.no_truncation()
    batch = [tok.encode(t).ids for t in REFERENCE_TEXTS]
    length = max(map(len, batch))
    pad_ids = np.zeros((len(batch), length), dtype=np.int64)
    pad_mask = np.zeros((len(batch), length), dtype=np.int64)
    for i, row in enumerate(batch):
        pad_ids[i, : len(row)] = row
        pad_mask[i, : len(row)] = 1
    with torch.no_grad():
        expected = [t.numpy() for t in wrapper(torch.from_numpy(pad_ids), torch.from_numpy(pad_mask))]
    got = session.run(OUTPUTS, {"input_ids": pad_ids, "attention_mask": pad_mask})
    for i, (text, row) in enumerate(zip(REFERENCE_TEXTS, batch)):
        n = len(row)
        worst = max(worst, float(np.abs(expected[0][i, :n] - got[0][i, :n]).max()), float(np.abs(expected[1][i, :n] - got[1][i, :n]).max()), float(np.abs(expected[2][i] - got[2][i]).max()))
        reference.append({"text": text, "ids": row, "last_hidden_state": expected[0][i, :n].round(6).tolist(), "token_weights": expected[1][i, :n].round(6).tolist(), "pooled": expected[2][i].round(6).tolist()})
    assert worst <= TOLERANCE, f"onnxruntime differs from torch by {worst}"
    (out / "reference.json").write_text(json.dumps({"tolerance": TOLERANCE, "texts": reference}) + "\n")
    manifest = {
        "name": "saegim-dlm-mini-ko",
        "architecture": "bert",
        "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask", "tokenTypeIds": None, "positionIds": None},
        "output": "last_hidden_state",
        "hiddenSize": model.cfg.hidden,
        "maxLength": model.cfg.max_length,
        "queryPrefix": "",
        "documentPrefix": "",
        "normalize": True,
        "projection": None,
        "maskToken": "[MASK]",
        "queryAugmentLength": 0,
        "padTokenId": tok.token_to_id("[PAD]"),
        "addSpecialTokens": True,
        "dropTokens": ["[CLS]", "[SEP]", "[PAD]"],
        # Read by engines that know them, ignored (zod strips unknown keys) by those that do not.
        "pooledOutput": "pooled" if pooled else None,
        "pooledDim": model.cfg.pooled_dim if pooled else None,
        "querySkiplist": [],
        "scoring": {"queryTokenWeights": "token_weights" if token_weights else None, "eojeolPooling": False},
    }
    write_manifest(out, manifest)
    return {"onnx_max_abs_diff": worst, "tolerance": TOLERANCE, "onnx_bytes": path.stat().st_size}


def write_manifest(out: Path, manifest: dict) -> None:
    (out / "encoder.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
