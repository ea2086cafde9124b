#!/usr/bin/env python3
"""Exports a late-interaction checkpoint (PyLate, Stanford ColBERT or BGE-M3) as a Saegim model folder.

These checkpoints are an encoder that transformers builds as it is (BertModel, XLMRobertaModel,
ModernBertModel) plus a linear projection of every token vector, and a recipe around them: marker tokens,
query augmentation with [MASK], a punctuation skiplist on the passage side, which vectors are dropped. The
graph holds the encoder and the projection; the recipe goes into encoder.json, exactly as the checkpoint's
own code applies it:

- PyLate (a sentence-transformers folder: modules.json, the encoder, `1_Dense`): `[Q] `/`[D] ` marker tokens
  inserted after [CLS], queries padded with [MASK] to query_length and not attended to unless
  attend_to_expansion_tokens, skiplist_words (string.punctuation) dropped from passages, text stripped;
- Stanford ColBERT (`HF_ColBERT` config, `linear.weight` in the checkpoint, artifact.metadata): `[unused0]`/
  `[unused1]` markers after [CLS], [MASK] padding to query_maxlen attended only with attend_to_mask_tokens,
  punctuation (the first token id of each symbol) and [PAD] dropped from passages;
- BGE-M3 (XLM-R + colbert_linear.pt): no markers or augmentation, the first token (<s>) dropped, </s> kept.

    python tools/export_late_interaction_onnx.py <checkpoint-dir> <out-dir> [--family auto|pylate|colbert|bge-m3]
        [--dtype fp32|fp16] [--max-length N] [--query-length N] [--opset 17]

The folder written holds model.onnx + model.onnx.data, tokenizer.json, encoder.json and export-report.json
with the measured ONNX-vs-PyTorch differences. See docs/models.md.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import string
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A checkpoint folder is all the tool reads: never reach for a model hub, even by accident.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
import export_dlm_onnx as dlm  # noqa: E402  (external-data streaming, fp16 probe, error type)

ExportError = dlm.ExportError
FAMILIES = ("pylate", "colbert", "bge-m3")
OUTPUT_NAME = "token_embeddings"
DATA_FILE = "model.onnx.data"
MIN_COSINE = {"fp32": 0.9999, "fp16": 0.999}
REFERENCE_QUERIES = ["세종대왕은 누구인가?", "광합성이란 무엇인가요?", "서울의 인구는?"]
REFERENCE_DOCUMENTS = [
    "서울은 대한민국의 수도이다.",
    "훈민정음은 1443년에 세종대왕이 만들었다. 한글의 옛 이름이다!",
    "광합성(photosynthesis)은 식물이 빛을 이용해 양분을 만드는 과정이다.",
]
# sentence-transformers names of the activations a Dense module may carry, as torch modules.
ACTIVATIONS = {
    "torch.nn.modules.linear.Identity": "identity",
    "torch.nn.modules.activation.Tanh": "tanh",
    "torch.nn.modules.activation.ReLU": "relu",
    "torch.nn.modules.activation.GELU": "gelu",
    "torch.nn.modules.activation.Sigmoid": "sigmoid",
}


@dataclass
class DenseLayer:
    """One linear map of the token vectors: `activation(x W^T + b)` (+ a residual path in newer PyLate)."""

    weight: Any  # torch tensor [out, in]
    bias: Any = None
    activation: str = "identity"
    residual: Any = None  # [out, in] when in != out; the identity when it is a plain residual
    use_residual: bool = False


@dataclass
class Recipe:
    """Everything the checkpoint's own code does around the encoder, as Saegim's encoder.json says it."""

    family: str
    encoder_dir: Path
    dense: list[DenseLayer]
    document_length: int
    query_length: int | None
    query_marker: str | None = None
    document_marker: str | None = None
    augment_length: int = 0
    augment_attended: bool = True
    mask_token: str | None = None
    skiplist: list[str] = field(default_factory=list)
    drop_tokens: list[str] = field(default_factory=list)
    strip_text: bool = False
    notes: list[str] = field(default_factory=list)


# ── checkpoint inspection ─────────────────────────────────────────────────────────────────────────────


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ExportError(f"{path}: not valid JSON ({err})") from err


def detect_family(checkpoint: Path, requested: str = "auto") -> str:
    """From the files each library writes: colbert_linear.pt (BGE-M3), modules.json (PyLate),
    an HF_ColBERT config or artifact.metadata (Stanford ColBERT)."""
    if not checkpoint.is_dir():
        raise ExportError(f"{checkpoint}: not a folder (pass a local checkpoint folder)")
    if requested in FAMILIES:
        return requested
    if requested != "auto":
        raise ExportError(f"--family: expected auto, {', '.join(FAMILIES)}, got {requested!r}")
    if (checkpoint / "colbert_linear.pt").exists():
        return "bge-m3"
    if (checkpoint / "modules.json").exists():
        return "pylate"
    config = checkpoint / "config.json"
    architectures = read_json(config).get("architectures") or [] if config.exists() else []
    if "HF_ColBERT" in architectures or (checkpoint / "artifact.metadata").exists():
        return "colbert"
    raise ExportError(
        f"{checkpoint}: not a PyLate folder (modules.json), a Stanford ColBERT checkpoint (HF_ColBERT config or "
        "artifact.metadata) or BGE-M3 (colbert_linear.pt); pass --family"
    )


def load_tokenizers(encoder_dir: Path):
    """transformers' tokenizer (what the libraries call) and the `tokenizers` one Saegim runs."""
    from transformers import AutoTokenizer

    try:
        hf = AutoTokenizer.from_pretrained(str(encoder_dir), use_fast=True)
    except Exception as err:  # transformers raises many types for a folder it cannot read
        raise ExportError(f"{encoder_dir}: transformers cannot load its tokenizer ({err})") from err
    if not hf.is_fast:
        raise ExportError(f"{encoder_dir}: no fast tokenizer (tokenizer.json), which Saegim needs")
    return hf


def torch_load(path: Path) -> dict[str, Any]:
    import torch

    kwargs = {"weights_only": True} if "weights_only" in inspect.signature(torch.load).parameters else {}
    return torch.load(str(path), map_location="cpu", **kwargs)


def read_weights(folder: Path) -> dict[str, Any]:
    """All tensors of a folder's model.safetensors / pytorch_model.bin (a Dense module, a ColBERT head)."""
    if (folder / "model.safetensors").exists():
        from safetensors.torch import load_file

        return load_file(str(folder / "model.safetensors"))
    if (folder / "pytorch_model.bin").exists():
        return torch_load(folder / "pytorch_model.bin")
    files = sorted(folder.glob("model*.safetensors"))
    if files:
        from safetensors.torch import load_file

        out: dict[str, Any] = {}
        for file in files:
            out.update(load_file(str(file)))
        return out
    raise ExportError(f"{folder}: no model.safetensors or pytorch_model.bin")


def token_of(hf, token_id: int) -> str:
    token = hf.convert_ids_to_tokens(int(token_id))
    if token is None or hf.convert_tokens_to_ids(token) != token_id:
        raise ExportError(f"token id {token_id} has no token string that maps back to it")
    return token


def marker_token(hf, marker: str, what: str) -> str:
    """The marker as Saegim names it: the library looks it up with convert_tokens_to_ids, so a marker
    missing from the vocabulary becomes the unknown token there, and here too."""
    token_id = hf.convert_tokens_to_ids(marker)
    if token_id is None:
        raise ExportError(f"{what} {marker!r} is not in the tokenizer and it has no unknown token")
    return token_of(hf, token_id)


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def pylate_recipe(checkpoint: Path) -> Recipe:
    modules = read_json(checkpoint / "modules.json")
    if not modules or "Transformer" not in str(modules[0].get("type", "")):
        raise ExportError(f"{checkpoint / 'modules.json'}: the first module must be a sentence-transformers Transformer")
    encoder_dir = checkpoint / modules[0].get("path", "")
    dense: list[DenseLayer] = []
    for module in modules[1:]:
        kind = str(module.get("type", ""))
        if not kind.endswith("Dense"):
            raise ExportError(f"{checkpoint / 'modules.json'}: module {kind!r} is not a Dense layer; PyLate only chains Dense layers")
        folder = checkpoint / module["path"]
        config = read_json(folder / "config.json")
        activation = config.get("activation_function", "torch.nn.modules.linear.Identity")
        if "pylate" not in kind and "activation_function" not in config:
            activation = "torch.nn.modules.activation.Tanh"  # sentence-transformers' own Dense default
        if activation not in ACTIVATIONS:
            raise ExportError(f"{folder / 'config.json'}: activation {activation!r} is not supported")
        weights = read_weights(folder)
        if "linear.weight" not in weights:
            raise ExportError(f"{folder}: no linear.weight")
        layer = DenseLayer(weight=weights["linear.weight"], bias=weights.get("linear.bias"), activation=ACTIVATIONS[activation])
        if config.get("use_residual"):
            layer.use_residual = True
            layer.residual = weights.get("residual.weight")
            if layer.residual is None and layer.weight.shape[0] != layer.weight.shape[1]:
                raise ExportError(f"{folder}: use_residual with in ≠ out needs residual.weight")
        dense.append(layer)
    if not dense:
        raise ExportError(f"{checkpoint / 'modules.json'}: no Dense module (a PyLate model projects its token vectors)")

    st_config_path = checkpoint / "config_sentence_transformers.json"
    st = read_json(st_config_path) if st_config_path.exists() else {}
    bert_config_path = encoder_dir / "sentence_bert_config.json"
    if bert_config_path.exists() and read_json(bert_config_path).get("do_lower_case"):
        raise ExportError(f"{bert_config_path}: do_lower_case is true, which Saegim's tokenizer cannot reproduce")
    hf = load_tokenizers(encoder_dir)
    # PyLate's defaults where its config is silent (pylate.models.ColBERT.__init__).
    query_prefix = st.get("query_prefix", "[Q] ")
    document_prefix = st.get("document_prefix", "[D] ")
    query_length = int(st.get("query_length") or 32)
    document_length = int(st.get("document_length") or 180)
    expansion = bool(st.get("do_query_expansion", True))
    attended = bool(st.get("attend_to_expansion_tokens", False)) and expansion
    skip_words = st.get("skiplist_words") or list(string.punctuation)
    for prefix, what in ((query_prefix, "query_prefix"), (document_prefix, "document_prefix")):
        if prefix and hf.convert_tokens_to_ids(prefix) in (None, hf.unk_token_id):
            raise ExportError(
                f"{st_config_path}: {what} {prefix!r} is not a token of the tokenizer; PyLate adds it with a newly "
                "initialised embedding row when it loads such a model, so no export can reproduce it"
            )
    mask = hf.mask_token if hf.mask_token_id is not None else hf.eos_token
    if expansion and mask is None:
        raise ExportError(f"{encoder_dir}: query expansion needs a mask (or end-of-sequence) token")
    return Recipe(
        family="pylate",
        encoder_dir=encoder_dir,
        dense=dense,
        document_length=document_length,
        query_length=query_length,
        query_marker=marker_token(hf, query_prefix, "query_prefix") if query_prefix else None,
        document_marker=marker_token(hf, document_prefix, "document_prefix") if document_prefix else None,
        augment_length=query_length if expansion else 0,
        augment_attended=attended,
        mask_token=mask,
        # convert_tokens_to_ids, as PyLate does: a word outside the vocabulary skips the unknown token.
        skiplist=unique([token_of(hf, hf.convert_tokens_to_ids(w)) for w in skip_words if hf.convert_tokens_to_ids(w) is not None]),
        drop_tokens=[],
        strip_text=True,
    )


def colbert_recipe(checkpoint: Path) -> Recipe:
    metadata_path = checkpoint / "artifact.metadata"
    meta = read_json(metadata_path) if metadata_path.exists() else {}
    notes = [] if meta else [f"{metadata_path.name} missing: ColBERTConfig defaults used"]
    if str(meta.get("similarity", "cosine")) != "cosine":
        raise ExportError(f"{metadata_path}: similarity {meta.get('similarity')!r}; Saegim scores with dot products (cosine)")
    hf = load_tokenizers(checkpoint)
    weights = read_weights(checkpoint)
    if "linear.weight" not in weights:
        raise ExportError(f"{checkpoint}: no linear.weight (a Stanford ColBERT checkpoint holds its projection there)")
    # ColBERTConfig's defaults (colbert/infra/config/settings.py).
    query_length = int(meta.get("query_maxlen", 32))
    document_length = int(meta.get("doc_maxlen", 220))
    skip: list[str] = []
    if meta.get("mask_punctuation", True):
        # ColBERT.__init__: the first id of each symbol encoded alone.
        skip = [token_of(hf, hf.encode(s, add_special_tokens=False)[0]) for s in string.punctuation if hf.encode(s, add_special_tokens=False)]
    if hf.pad_token is not None:
        skip.append(hf.pad_token)  # ColBERT.mask() drops [PAD] wherever it appears in a passage
    return Recipe(
        family="colbert",
        encoder_dir=checkpoint,
        dense=[DenseLayer(weight=weights["linear.weight"])],
        document_length=document_length,
        query_length=query_length,
        query_marker=marker_token(hf, meta.get("query_token_id", "[unused0]"), "query_token_id"),
        document_marker=marker_token(hf, meta.get("doc_token_id", "[unused1]"), "doc_token_id"),
        augment_length=query_length,
        augment_attended=bool(meta.get("attend_to_mask_tokens", False)),
        mask_token=hf.mask_token,
        skiplist=unique(skip),
        drop_tokens=[],
        notes=notes,
    )


def bge_m3_recipe(checkpoint: Path) -> Recipe:
    state = torch_load(checkpoint / "colbert_linear.pt")
    state = {k[len("module.") :] if k.startswith("module.") else k: v for k, v in state.items()}
    if "weight" not in state:
        raise ExportError(f"{checkpoint / 'colbert_linear.pt'}: no weight tensor")
    hf = load_tokenizers(checkpoint)
    config = read_json(checkpoint / "config.json")
    # FlagEmbedding encodes up to 8192 tokens; XLM-R's position table reserves padding_idx + 1 rows.
    positions = int(config.get("max_position_embeddings", 8194)) - int(config.get("pad_token_id", 1)) - 1
    return Recipe(
        family="bge-m3",
        encoder_dir=checkpoint,
        dense=[DenseLayer(weight=state["weight"], bias=state.get("bias"))],
        document_length=min(8192, positions),
        query_length=None,
        # colbert_embedding() takes last_hidden_state[:, 1:]: the first token only; </s> keeps its vector.
        drop_tokens=[hf.cls_token or hf.bos_token],
        notes=["FlagEmbedding's colbert_score divides the sum by the number of query tokens; Saegim sums"],
    )


RECIPES = {"pylate": pylate_recipe, "colbert": colbert_recipe, "bge-m3": bge_m3_recipe}


# ── the exported module ───────────────────────────────────────────────────────────────────────────────


def load_encoder(encoder_dir: Path, dtype):
    """The backbone exactly as transformers builds it from config.json; a checkpoint whose weights do not
    cover it is refused (the pooler, which token vectors never use, may be absent)."""
    from transformers import AutoModel

    try:
        model, info = AutoModel.from_pretrained(
            str(encoder_dir), attn_implementation="eager", torch_dtype=dtype, output_loading_info=True
        )
    except (OSError, ValueError, KeyError) as err:
        raise ExportError(f"{encoder_dir}: transformers cannot build the encoder ({err})") from err
    missing = [k for k in info.get("missing_keys", []) if "pooler" not in k.split(".") and not k.endswith("position_ids")]
    if missing:
        raise ExportError(f"{encoder_dir}: weights missing for {len(missing)} tensors, e.g. {', '.join(missing[:3])}")
    return model.eval()


def make_module(backbone, dense: list[DenseLayer], dtype):
    import torch

    class Projection(torch.nn.Module):
        def __init__(self, layer: DenseLayer) -> None:
            super().__init__()
            out_features, in_features = layer.weight.shape
            self.linear = torch.nn.Linear(in_features, out_features, bias=layer.bias is not None)
            with torch.no_grad():
                self.linear.weight.copy_(layer.weight)
                if layer.bias is not None:
                    self.linear.bias.copy_(layer.bias)
            self.activation = {
                "identity": torch.nn.Identity(),
                "tanh": torch.nn.Tanh(),
                "relu": torch.nn.ReLU(),
                "gelu": torch.nn.GELU(),
                "sigmoid": torch.nn.Sigmoid(),
            }[layer.activation]
            self.use_residual = layer.use_residual
            self.residual = None
            if layer.residual is not None:
                self.residual = torch.nn.Linear(in_features, out_features, bias=False)
                with torch.no_grad():
                    self.residual.weight.copy_(layer.residual)

        def forward(self, x):
            y = self.activation(self.linear(x))
            if self.use_residual:
                y = y + (self.residual(x) if self.residual is not None else x)
            return y

    class LateInteractionEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = backbone
            self.dense = torch.nn.ModuleList([Projection(layer) for layer in dense])

        def forward(self, input_ids, attention_mask):
            hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask, return_dict=True).last_hidden_state
            for layer in self.dense:
                hidden = layer(hidden)
            # float32 out whatever the weights: onnxruntime-node hands float16 outputs over as raw bits.
            return hidden.float()

    return LateInteractionEncoder().to(dtype).eval()


def export_graph(module, out_dir: Path, opset: int, vocab_size: int, device) -> None:
    import torch

    ids = torch.randint(0, vocab_size, (2, 8), generator=torch.Generator().manual_seed(3))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # a padded row, so nothing about padding is folded into constants
    names = ["input_ids", "attention_mask"]
    kwargs: dict[str, Any] = {
        "input_names": names,
        "output_names": [OUTPUT_NAME],
        "dynamic_axes": {name: {0: "batch", 1: "length"} for name in names + [OUTPUT_NAME]},
        "opset_version": opset,
        "do_constant_folding": True,
    }
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message=".*shape inference of prim::Constant.*")
            with dlm.best_effort_shape_inference():
                torch.onnx.export(module, (ids.to(device), mask.to(device)), str(scratch / "model.onnx"), **kwargs)
        dlm.consolidate_external_data(scratch / "model.onnx", out_dir / "model.onnx", DATA_FILE)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ── tokenizer and manifest ────────────────────────────────────────────────────────────────────────────


def write_tokenizer(hf, encoder_dir: Path, out_dir: Path):
    """Copies tokenizer.json, or writes the one transformers converts from the slow tokenizer's files."""
    from tokenizers import Tokenizer

    target = out_dir / "tokenizer.json"
    if (encoder_dir / "tokenizer.json").exists():
        shutil.copyfile(encoder_dir / "tokenizer.json", target)
    else:
        hf.backend_tokenizer.save(str(target))
    return Tokenizer.from_file(str(target))


def build_manifest(name: str, recipe: Recipe, hf, width: int, document_length: int, query_length: int | None) -> dict[str, Any]:
    """encoder.json in the shape main/encoders/manifest.ts validates."""
    return {
        "name": name,
        "architecture": "bert",
        "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask", "tokenTypeIds": None, "positionIds": None},
        "output": OUTPUT_NAME,
        "hiddenSize": width,
        "maxLength": document_length,
        "queryPrefix": "",
        "documentPrefix": "",
        "normalize": True,
        "projection": None,
        "maskToken": recipe.mask_token,
        "queryAugmentLength": recipe.augment_length,
        "queryAugmentAttended": recipe.augment_attended,
        "padTokenId": int(hf.pad_token_id if hf.pad_token_id is not None else 0),
        "addSpecialTokens": True,
        "dropTokens": recipe.drop_tokens,
        "queryMarker": recipe.query_marker,
        "documentMarker": recipe.document_marker,
        "markerPosition": 1,
        "queryMaxLength": query_length,
        "documentSkiplist": recipe.skiplist,
        "stripText": recipe.strip_text,
    }


# ── verification ──────────────────────────────────────────────────────────────────────────────────────


def saegim_inputs(tokenizer_path: Path, manifest: dict[str, Any], texts: list[str], kind: str):
    """What main/encoders/onnx-encoder.ts feeds the model and keeps, re-done with the `tokenizers` library:
    (ids, attended count, kept indices) per text."""
    from tokenizers import Tokenizer

    marker = manifest["queryMarker"] if kind == "query" else manifest["documentMarker"]
    limit = (manifest["queryMaxLength"] or manifest["maxLength"]) if kind == "query" else manifest["maxLength"]
    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.no_padding()
    tok.enable_truncation(limit - (1 if marker else 0))
    drop = {tok.token_to_id(t) for t in manifest["dropTokens"]} - {None}
    if kind == "document":
        drop |= {tok.token_to_id(t) for t in manifest["documentSkiplist"]} - {None}
    rows = []
    for text in texts:
        body = text.strip() if manifest["stripText"] else text
        ids = tok.encode(body, add_special_tokens=manifest["addSpecialTokens"]).ids
        if marker:
            ids.insert(min(manifest["markerPosition"], len(ids)), tok.token_to_id(marker))
        attended = len(ids)
        if kind == "query" and manifest["queryAugmentLength"] and manifest["maskToken"]:
            ids += [tok.token_to_id(manifest["maskToken"])] * max(0, manifest["queryAugmentLength"] - len(ids))
            if manifest["queryAugmentAttended"]:
                attended = len(ids)
        rows.append((ids, attended, [j for j, i in enumerate(ids) if i not in drop]))
    return rows


def padded(rows, pad_id: int):
    import numpy as np

    length = max(len(ids) for ids, _, _ in rows)
    ids = np.full((len(rows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for r, (row, attended, _) in enumerate(rows):
        ids[r, : len(row)] = row
        mask[r, :attended] = 1
    return ids, mask


def library_vectors(recipe: Recipe, hf, module, texts: list[str], kind: str, device):
    """The token vectors each library's own code produces, re-done step by step with transformers'
    tokenizer and the PyTorch module (pylate ColBERT.tokenize/encode, colbert QueryTokenizer/DocTokenizer
    and ColBERT.query/doc, FlagEmbedding BGEM3FlagModel.encode), one text at a time."""
    import torch

    out = []
    for text in texts:
        query = kind == "query"
        marker = recipe.query_marker if query else recipe.document_marker
        limit = (recipe.query_length or recipe.document_length) if query else recipe.document_length
        body = text.strip() if recipe.strip_text else text
        pad_to = recipe.augment_length if query and recipe.augment_length else None
        room = limit - (1 if marker else 0)
        enc = hf(body, truncation=True, max_length=room, return_tensors="pt")
        ids, attention = enc["input_ids"][0].tolist(), enc["attention_mask"][0].tolist()
        if marker:
            ids.insert(1, hf.convert_tokens_to_ids(marker))
            attention.insert(1, 1)
        if pad_to:
            mask_id = hf.convert_tokens_to_ids(recipe.mask_token)
            extra = max(0, pad_to - len(ids))
            ids += [mask_id] * extra
            attention += [1 if recipe.augment_attended else 0] * extra
        with torch.no_grad():
            vectors = module(torch.tensor([ids], device=device), torch.tensor([attention], device=device))[0].float().cpu()
        if recipe.family == "bge-m3":
            keep = list(range(1, len(ids)))
        elif query:
            keep = list(range(len(ids)))
        else:
            skip = {hf.convert_tokens_to_ids(t) for t in recipe.skiplist}
            keep = [j for j, i in enumerate(ids) if i not in skip]
        vectors = torch.nn.functional.normalize(vectors[keep], dim=-1)
        out.append(([ids[j] for j in keep], vectors.numpy()))
    return out


def verify(out_dir: Path, manifest: dict[str, Any], recipe: Recipe, hf, module, device) -> dict[str, Any]:
    """onnxruntime on Saegim's inputs against (1) the PyTorch module on the same padded batch and (2) the
    library's own pipeline run text by text: same kept token ids, per-token cosines."""
    import numpy as np
    import onnxruntime as ort
    import torch

    session = ort.InferenceSession(str(out_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    results: dict[str, Any] = {}
    worst_graph, worst_cos, worst_pipe, ids_equal, finite = 0.0, 1.0, 1.0, True, True
    padding_diff = 0.0
    for kind, texts in (("query", REFERENCE_QUERIES), ("document", REFERENCE_DOCUMENTS)):
        rows = saegim_inputs(out_dir / "tokenizer.json", manifest, texts, kind)
        ids, mask = padded(rows, manifest["padTokenId"])
        got = session.run([OUTPUT_NAME], {"input_ids": ids, "attention_mask": mask})[0]
        finite = finite and bool(np.isfinite(got).all())
        with torch.no_grad():
            expected = module(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)).float().cpu().numpy()
        reference = library_vectors(recipe, hf, module, texts, kind, device)
        for r, (row, _, keep) in enumerate(rows):
            a, b = expected[r, keep], got[r, keep]
            worst_graph = max(worst_graph, float(np.abs(a - b).max()))
            worst_cos = min(worst_cos, float(cosines(a, b).min()))
            alone = session.run([OUTPUT_NAME], {"input_ids": ids[r : r + 1, : len(row)], "attention_mask": mask[r : r + 1, : len(row)]})[0]
            padding_diff = max(padding_diff, float(np.abs(alone[0, keep] - got[r, keep]).max()))
            ref_ids, ref_vectors = reference[r]
            same = ref_ids == [row[j] for j in keep]
            ids_equal = ids_equal and same
            if same:
                worst_pipe = min(worst_pipe, float(cosines(ref_vectors, got[r, keep]).min()))
    results.update(
        max_abs_diff=worst_graph,
        min_token_cosine=worst_cos,
        padding_max_abs_diff=padding_diff,
        library_pipeline_same_tokens=ids_equal,
        library_pipeline_min_token_cosine=worst_pipe,
        all_finite=finite,
    )
    return results


def cosines(a, b):
    import numpy as np

    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-30)


# ── command line ──────────────────────────────────────────────────────────────────────────────────────


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="export_late_interaction_onnx.py",
        description="Export a PyLate / Stanford ColBERT / BGE-M3 checkpoint (a local folder) as a Saegim ONNX model folder.",
    )
    parser.add_argument("checkpoint", type=Path, help="local checkpoint folder (never downloaded)")
    parser.add_argument("out_dir", type=Path, help="model folder to write")
    parser.add_argument("--family", choices=["auto", *FAMILIES], default="auto")
    parser.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32", help="weight precision in the graph (output is float32)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="where the model is traced")
    parser.add_argument("--max-length", type=int, help="passage tokens, markers included (default: the checkpoint's)")
    parser.add_argument("--query-length", type=int, help="query tokens, markers and [MASK] padding included (default: the checkpoint's)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--name", help="model name in encoder.json (default: the checkpoint folder's name)")
    parser.add_argument("--no-verify", action="store_true", help="skip the onnxruntime-vs-PyTorch comparison")
    parser.add_argument("--force", action="store_true", help="overwrite a folder that already holds a model")
    args = parser.parse_args(argv)
    for flag in ("max_length", "query_length"):
        value = getattr(args, flag)
        if value is not None and value < 2:
            parser.error(f"--{flag.replace('_', '-')}: expected at least 2")
    return args


def export(args: argparse.Namespace) -> dict[str, Any]:
    dlm.require_packages()
    import numpy as np
    import torch
    import transformers

    checkpoint = args.checkpoint.resolve()
    out_dir = args.out_dir.resolve()
    family = detect_family(checkpoint, args.family)
    recipe = RECIPES[family](checkpoint)
    if args.max_length is not None:
        recipe.document_length = args.max_length
    if args.query_length is not None:
        if recipe.query_length is None:
            recipe.notes.append("--query-length sets a query limit the library does not apply")
        recipe.query_length = args.query_length
        if recipe.augment_length:
            recipe.augment_length = args.query_length
    if out_dir.exists() and (out_dir / "model.onnx").exists() and not args.force:
        raise ExportError(f"{out_dir}: already holds model.onnx (pass --force to overwrite)")
    out_dir.mkdir(parents=True, exist_ok=True)
    device = dlm.pick_device(args.device, args.dtype)
    dtype = torch.float16 if args.dtype == "fp16" else torch.float32

    hf = load_tokenizers(recipe.encoder_dir)
    tokenizer = write_tokenizer(hf, recipe.encoder_dir, out_dir)
    backbone = load_encoder(recipe.encoder_dir, dtype)
    config = backbone.config
    limit = int(getattr(config, "max_position_embeddings", 0) or 0)
    if config.model_type in ("xlm-roberta", "roberta", "camembert"):
        limit -= int(config.pad_token_id or 1) + 1
    if limit and max(recipe.document_length, recipe.query_length or 0) > limit:
        raise ExportError(f"a length of {max(recipe.document_length, recipe.query_length or 0)} tokens exceeds the encoder's {limit} positions")
    hidden = int(config.hidden_size)
    width = hidden
    for layer in recipe.dense:
        if layer.weight.shape[1] != width:
            raise ExportError(f"a projection expects {layer.weight.shape[1]}-wide vectors, the layer before gives {width}")
        width = int(layer.weight.shape[0])
    module = make_module(backbone, recipe.dense, dtype).to(device)
    vocab_size = int(backbone.get_input_embeddings().weight.shape[0])
    largest = max(tokenizer.get_vocab(with_added_tokens=True).values())
    if largest >= vocab_size:
        raise ExportError(f"tokenizer.json has token id {largest} but the encoder's embedding has {vocab_size} rows")
    export_graph(module, out_dir, args.opset, vocab_size, device)
    manifest = build_manifest(args.name or checkpoint.name, recipe, hf, width, recipe.document_length, recipe.query_length)
    (out_dir / "encoder.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    report: dict[str, Any] = {
        "family": family,
        "backbone": config.model_type,
        "dtype": args.dtype,
        "device": str(device),
        "opset": args.opset,
        "hidden_size": hidden,
        "output_width": width,
        "projection": [
            {"in": int(l.weight.shape[1]), "out": int(l.weight.shape[0]), "bias": l.bias is not None, "activation": l.activation, "residual": l.use_residual}
            for l in recipe.dense
        ],
        "notes": recipe.notes,
        "model_onnx_bytes": (out_dir / "model.onnx").stat().st_size,
        "model_onnx_data_bytes": (out_dir / DATA_FILE).stat().st_size,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__},
    }
    if not args.no_verify:
        import onnxruntime

        numbers = verify(out_dir, manifest, recipe, hf, module, device)
        report["verification"] = numbers
        report["versions"]["onnxruntime"] = onnxruntime.__version__
        problems = []
        if not numbers["all_finite"]:
            problems.append("onnxruntime produced non-finite values" + (" (float16 overflow: export --dtype fp32)" if args.dtype == "fp16" else ""))
        if numbers["min_token_cosine"] < MIN_COSINE[args.dtype]:
            problems.append(f"a token's ONNX vector has cosine {numbers['min_token_cosine']:.6f} with PyTorch's (< {MIN_COSINE[args.dtype]})")
        if not numbers["library_pipeline_same_tokens"]:
            problems.append(f"Saegim's tokenization of the reference texts differs from {family}'s own")
        elif numbers["library_pipeline_min_token_cosine"] < MIN_COSINE[args.dtype]:
            problems.append(
                f"a token vector differs from {family}'s own pipeline (cosine {numbers['library_pipeline_min_token_cosine']:.6f})"
            )
        if problems:
            (out_dir / "export-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
            raise ExportError("; ".join(problems))
    (out_dir / "export-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = export(args)
    except ExportError as err:
        print(f"export_late_interaction_onnx: error: {err}", file=sys.stderr)
        return 2
    numbers = report.get("verification")
    summary = f"wrote {args.out_dir} ({report['family']}, {report['backbone']}, {report['dtype']}, width {report['output_width']})"
    if numbers:
        summary += f"; onnxruntime vs PyTorch: max |Δ| {numbers['max_abs_diff']:.2e}, min cosine {numbers['min_token_cosine']:.6f}"
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
