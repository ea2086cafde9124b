#!/usr/bin/env python3
"""Exports a diffusion LM (Dream-7B or LLaDA-8B, Hugging Face layout) as a Saegim model folder.

The paper's token encoder is the denoiser at step t = 0 with nothing masked: the last hidden layer of a
transformer whose attention is fully bidirectional. Dream is Qwen2 with the causal mask removed and LLaDA
is LLaMA with the causal mask removed, so both are rebuilt here from transformers' stock Qwen2/Llama
classes — no code from the checkpoint is executed — and driven with an explicit padding-only 4-D mask,
which is what makes them bidirectional (the stock classes would otherwise apply a causal mask). Before
exporting, the tool checks that changing a later token changes an earlier token's vector.

    python tools/export_dlm_onnx.py <checkpoint-dir> <out-dir> [--dtype fp32|fp16] [--max-length N]
        [--projection DIM [--projection-file F] [--projection-in-graph]] [--family auto|dream|llada] [--opset 17]

The folder written holds model.onnx + model.onnx.data (external data: 7B weights exceed protobuf's 2 GB),
tokenizer.json, encoder.json (the schema of main/encoders/manifest.ts), optionally projection.f32, and
export-report.json with the measured ONNX-vs-PyTorch differences. See docs/dream-7b.md.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

# A checkpoint folder is all the tool reads: never reach for a model hub, even by accident.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

FAMILIES = ("dream", "llada")
OUTPUT_NAME = "last_hidden_state"
DATA_FILE = "model.onnx.data"
PROJECTION_FILE = "projection.f32"
# Initializers smaller than this stay inside model.onnx; everything else goes to model.onnx.data.
EXTERNAL_THRESHOLD_BYTES = 1024
# Page-aligned offsets let onnxruntime memory-map large tensors instead of copying them.
ALIGN_LARGE_TENSORS = 4096
LARGE_TENSOR_BYTES = 64 * 1024
# Per-token cosine between onnxruntime and PyTorch below which the export is refused. MaxSim works on
# L2-normalised vectors, so the cosine is what a difference would actually change.
MIN_COSINE = {"fp32": 0.9999, "fp16": 0.999}
REFERENCE_TEXTS = [
    "서울은 대한민국의 수도이다.",
    "훈민정음은 1443년에 세종대왕이 만들었다.",
    "광합성이란 무엇인가요?",
]


# config.json fields that carry over unchanged into the stock transformers configs.
SHARED_FIELDS = (
    "vocab_size hidden_size intermediate_size num_hidden_layers num_attention_heads num_key_value_heads hidden_act "
    "max_position_embeddings rms_norm_eps rope_theta rope_scaling pad_token_id bos_token_id eos_token_id"
).split()
QWEN2_FIELDS = SHARED_FIELDS + ["tie_word_embeddings"]
LLAMA_FIELDS = SHARED_FIELDS + ["attention_bias", "mlp_bias", "head_dim"]


@dataclass(frozen=True)
class FamilyDefaults:
    """What differs between the two families once both are stock transformer stacks."""

    mask_token: str  # the mask token's text when config.json names no mask_token_id
    mask_token_id: int | None
    # Dream's Qwen2 tokenizer adds nothing; LLaDA's adds <|startoftext|> as its own pipeline does, so the
    # encoder sees inputs shaped like its training data (the BOS vector itself is dropped before scoring).
    add_special_tokens: bool
    # Dropped before scoring besides config.json's BOS/EOS/pad (<|eot_id|> ends LLaDA-Instruct's turns).
    special_tokens: tuple[str, ...]


FAMILY_DEFAULTS = {
    "dream": FamilyDefaults(
        mask_token="<|mask|>",
        mask_token_id=None,
        add_special_tokens=False,
        special_tokens=("<|beginoftext|>", "<|endoftext|>"),
    ),
    "llada": FamilyDefaults(
        mask_token="<|mdm_mask|>",
        mask_token_id=126336,
        add_special_tokens=True,
        special_tokens=("<|startoftext|>", "<|endoftext|>", "<|eot_id|>"),
    ),
}


class ExportError(Exception):
    """A problem with the checkpoint or the options, reported as one line without a traceback."""


# ── checkpoint inspection ─────────────────────────────────────────────────────────────────────────────


def read_config(checkpoint: Path) -> dict[str, Any]:
    path = checkpoint / "config.json"
    if not checkpoint.is_dir():
        raise ExportError(f"{checkpoint}: not a folder (pass a local Hugging Face checkpoint folder)")
    if not path.exists():
        raise ExportError(f"{path}: missing (a Hugging Face checkpoint folder has config.json)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ExportError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(config, dict):
        raise ExportError(f"{path}: expected a JSON object")
    return config


def detect_family(config: dict[str, Any], requested: str = "auto") -> str:
    """`dream` or `llada`, from `model_type` or `architectures` unless the caller names it."""
    if requested in FAMILIES:
        return requested
    if requested != "auto":
        raise ExportError(f"--family: expected auto, dream or llada, got {requested!r}")
    names = [str(config.get("model_type", ""))] + [str(a) for a in config.get("architectures") or []]
    lowered = " ".join(names).lower()
    if "llada" in lowered:
        return "llada"
    if "dream" in lowered:
        return "dream"
    raise ExportError(
        f"config.json: cannot tell Dream from LLaDA (model_type {config.get('model_type')!r}, "
        f"architectures {config.get('architectures')!r}); pass --family dream or --family llada"
    )


def is_llada_layout(config: dict[str, Any]) -> bool:
    """LLaDA's own checkpoints use OLMo names (d_model, n_layers, transformer.blocks.N.*)."""
    return "d_model" in config and "n_layers" in config


def backbone_config(config: dict[str, Any], family: str):
    """A stock Qwen2Config / LlamaConfig describing the same network as the checkpoint's config.json."""
    from transformers import LlamaConfig, Qwen2Config

    if family == "dream":
        if is_llada_layout(config):
            raise ExportError("config.json: OLMo/LLaDA-style fields (d_model, n_layers) but --family dream")
        missing = [f for f in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads") if f not in config]
        if missing:
            raise ExportError(f"config.json: missing {', '.join(missing)} (expected a Qwen2-style Dream config)")
        kwargs = {f: config[f] for f in QWEN2_FIELDS if f in config}
        # Dream attends over the whole sequence; Qwen2's sliding window would silently cut that.
        return Qwen2Config(**kwargs, use_sliding_window=False, attention_dropout=0.0, attn_implementation="eager")

    if not is_llada_layout(config):
        kwargs = {f: config[f] for f in LLAMA_FIELDS if f in config and config[f] is not None}
        return LlamaConfig(**kwargs, attention_dropout=0.0, attn_implementation="eager")

    unsupported = []
    if str(config.get("block_type", "llama")).lower() != "llama":
        unsupported.append(f"block_type {config.get('block_type')!r}")
    if str(config.get("activation_type", "silu")).lower() != "silu":
        unsupported.append(f"activation_type {config.get('activation_type')!r}")
    if str(config.get("layer_norm_type", "rms")).lower() != "rms":
        unsupported.append(f"layer_norm_type {config.get('layer_norm_type')!r}")
    for flag in ("alibi", "include_bias", "attention_layer_norm", "input_emb_norm"):
        if config.get(flag):
            unsupported.append(f"{flag}=true")
    if config.get("rope") is False:
        unsupported.append("rope=false")
    if unsupported:
        raise ExportError(f"config.json: LLaDA variant not supported by the Llama mapping: {', '.join(unsupported)}")
    d_model = int(config["d_model"])
    heads = int(config["n_heads"])
    mlp = config.get("mlp_hidden_size") or int(config.get("mlp_ratio", 4)) * d_model
    return LlamaConfig(
        vocab_size=int(config.get("embedding_size") or config["vocab_size"]),
        hidden_size=d_model,
        intermediate_size=int(mlp),
        num_hidden_layers=int(config["n_layers"]),
        num_attention_heads=heads,
        num_key_value_heads=int(config.get("n_kv_heads") or heads),
        hidden_act="silu",
        max_position_embeddings=int(config.get("max_sequence_length", 4096)),
        rms_norm_eps=float(config.get("rms_norm_eps", 1e-5)),
        rope_theta=float(config.get("rope_theta", 10000.0)),
        attention_bias=bool(config.get("include_qkv_bias", False)),
        attention_dropout=0.0,
        attn_implementation="eager",
    )


def hidden_size_of(config: dict[str, Any]) -> int:
    return int(config["d_model"] if is_llada_layout(config) else config["hidden_size"])


def max_positions_of(config: dict[str, Any]) -> int | None:
    value = config.get("max_sequence_length") if is_llada_layout(config) else config.get("max_position_embeddings")
    return int(value) if value else None


# ── weights ───────────────────────────────────────────────────────────────────────────────────────────


def weight_files(checkpoint: Path) -> list[Path]:
    for index_name in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        index = checkpoint / index_name
        if index.exists():
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
            missing = [s for s in shards if not (checkpoint / s).exists()]
            if missing:
                raise ExportError(f"{index}: names shards that are missing: {', '.join(missing[:3])}")
            return [checkpoint / s for s in shards]
    for single in ("model.safetensors", "pytorch_model.bin"):
        if (checkpoint / single).exists():
            return [checkpoint / single]
    raise ExportError(f"{checkpoint}: no weights (model.safetensors[.index.json] or pytorch_model.bin[.index.json])")


def shard_tensors(path: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    """(name, load) for every tensor of a shard; safetensors are read one tensor at a time, so tensors
    the encoder does not use (the LM head: 0.5 B parameters in Dream and in LLaDA) are never read."""
    import torch

    if path.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt", device="cpu") as handle:
            for name in handle.keys():
                yield name, (lambda name=name: handle.get_tensor(name))
        return
    parameters = inspect.signature(torch.load).parameters
    kwargs = {"weights_only": True} if "weights_only" in parameters else {}
    if "mmap" in parameters:
        kwargs["mmap"] = True
    for name, tensor in torch.load(str(path), map_location="cpu", **kwargs).items():
        yield name, (lambda tensor=tensor: tensor)


_LLADA_BLOCK = re.compile(r"^(?:model\.)?transformer\.(?:blocks\.(\d+)|block_groups\.(\d+)\.(\d+))\.(.+)$")
_LLADA_BLOCK_PARTS = {
    "attn_norm.weight": "input_layernorm.weight",
    "ff_norm.weight": "post_attention_layernorm.weight",
    "q_proj.weight": "self_attn.q_proj.weight",
    "q_proj.bias": "self_attn.q_proj.bias",
    "k_proj.weight": "self_attn.k_proj.weight",
    "k_proj.bias": "self_attn.k_proj.bias",
    "v_proj.weight": "self_attn.v_proj.weight",
    "v_proj.bias": "self_attn.v_proj.bias",
    "attn_out.weight": "self_attn.o_proj.weight",
    # LLaDA's Llama block: ff_out(act(ff_proj(x)) * up_proj(x)), i.e. ff_proj is Llama's gate_proj.
    "ff_proj.weight": "mlp.gate_proj.weight",
    "up_proj.weight": "mlp.up_proj.weight",
    "ff_out.weight": "mlp.down_proj.weight",
}


def backbone_key(name: str, llada_layout: bool, block_group_size: int = 1) -> str | None:
    """The Qwen2Model/LlamaModel state-dict key for a checkpoint tensor, or None for the LM head.

    Raises on a name it does not know, so a checkpoint that does not fit cannot export half-loaded.
    """
    if name.endswith("rotary_emb.inv_freq"):
        return None
    if not llada_layout:
        if name.startswith("lm_head.") or name == "transformer.ff_out.weight":
            return None
        return name[len("model.") :] if name.startswith("model.") else name
    stem = name[len("model.") :] if name.startswith("model.") else name
    if stem == "transformer.wte.weight":
        return "embed_tokens.weight"
    if stem == "transformer.ln_f.weight":
        return "norm.weight"
    if stem in ("transformer.ff_out.weight", "transformer.ff_out.bias"):
        return None
    match = _LLADA_BLOCK.match(stem)
    if match and match.group(4) in _LLADA_BLOCK_PARTS:
        layer = (
            int(match.group(1)) if match.group(1) is not None else int(match.group(2)) * block_group_size + int(match.group(3))
        )
        return f"layers.{layer}.{_LLADA_BLOCK_PARTS[match.group(4)]}"
    raise ExportError(f"checkpoint tensor {name!r} has no place in the Llama mapping of LLaDA")


def instantiate(cls, config, dtype):
    """Builds the module with its parameters allocated directly in `dtype` and left uninitialised:
    a 7B model never exists in fp32, and random initialisation (minutes on CPU) is skipped."""
    import torch

    try:
        from transformers.modeling_utils import no_init_weights
    except ImportError:  # pragma: no cover - older/newer transformers without the helper
        no_init_weights = contextlib.nullcontext
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with no_init_weights():
            return cls(config)
    finally:
        torch.set_default_dtype(previous)


def all_finite(tensor, chunk: int = 1 << 24) -> bool:
    import torch

    flat = tensor.reshape(-1)
    return all(bool(torch.isfinite(part).all()) for part in flat.split(chunk))


def load_backbone(checkpoint: Path, config: dict[str, Any], family: str, dtype) -> Any:
    """Qwen2Model (Dream) or LlamaModel (LLaDA) holding the checkpoint's weights, eval mode, on CPU."""
    import torch
    from transformers import LlamaModel, Qwen2Model

    model_config = backbone_config(config, family)
    cls = Qwen2Model if family == "dream" else LlamaModel
    model = instantiate(cls, model_config, dtype)
    expected = model.state_dict()
    llada_layout = is_llada_layout(config)
    group = int(config.get("block_group_size") or 1)
    loaded: set[str] = set()
    with torch.no_grad():
        for shard in weight_files(checkpoint):
            for name, load in shard_tensors(shard):
                key = backbone_key(name, llada_layout, group)
                if key is None:
                    continue
                if key not in expected:
                    raise ExportError(f"{shard.name}: tensor {name!r} (as {key!r}) does not fit a {cls.__name__}")
                target = expected[key]
                tensor = load()
                if tuple(target.shape) != tuple(tensor.shape):
                    raise ExportError(
                        f"{shard.name}: tensor {name!r} has shape {tuple(tensor.shape)}, the model expects {tuple(target.shape)}"
                    )
                target.copy_(tensor)  # converts in place: no second copy of a 1 GB embedding
                del tensor  # peak memory: the model plus one checkpoint tensor
                if target.dtype == torch.float16 and not all_finite(target):
                    raise ExportError(f"{shard.name}: tensor {name!r} overflows float16 (use --dtype fp32)")
                loaded.add(key)
        missing = [k for k in expected if k not in loaded]
        if llada_layout and model_config.attention_bias:
            # LLaDA's include_qkv_bias has no output-projection bias; Llama's attention_bias adds one.
            for key in [k for k in missing if k.endswith("self_attn.o_proj.bias")]:
                expected[key].zero_()
                missing.remove(key)
    if missing:
        raise ExportError(f"{checkpoint}: weights missing for {len(missing)} tensors, e.g. {', '.join(missing[:3])}")
    model.eval()
    return model


# ── the exported module ───────────────────────────────────────────────────────────────────────────────


def make_encoder(backbone, projection=None):
    """Wraps a stock decoder stack as the bidirectional encoder Saegim runs; `position_ids` stays an
    optional argument, a graph input only when the export passes it."""
    import torch

    for module in backbone.modules():
        # Only consulted by the SDPA/flash paths of newer transformers; the explicit mask below is what
        # removes causality on every path, but a stale True here must not add it back.
        if hasattr(module, "is_causal"):
            module.is_causal = False

    class BidirectionalEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = backbone
            if projection is not None:
                self.register_buffer("projection", torch.as_tensor(projection, dtype=torch.float32))
            else:
                self.projection = None

        def forward(self, input_ids, attention_mask, position_ids=None):
            dtype = self.backbone.embed_tokens.weight.dtype
            if position_ids is None:
                # Right padding gives 0..n-1 for real tokens; left padding still starts each text at 0.
                position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
            length = input_ids.shape[1]
            keep = attention_mask[:, None, None, :].to(dtype)
            # Padding-only additive mask [batch, 1, length, length]: every token sees every real token,
            # before or after it. Passing a 4-D mask makes transformers use it as is, with no causal part.
            bias = ((1.0 - keep) * torch.finfo(dtype).min).expand(-1, 1, length, -1)
            out = self.backbone(
                input_ids=input_ids, attention_mask=bias, position_ids=position_ids, use_cache=False, return_dict=True
            )
            # float32 out whatever the weights: onnxruntime-node hands float16 outputs over as raw bits.
            hidden = out.last_hidden_state.float()
            if self.projection is not None:
                hidden = torch.matmul(hidden, self.projection)
            return hidden

    return BidirectionalEncoder().eval()


def check_bidirectional(encoder, vocab_size: int, device) -> float:
    """Relative change of token 0's vector when only the last token changes; > 0 means bidirectional."""
    import torch

    generator = torch.Generator().manual_seed(7)
    ids = torch.randint(0, vocab_size, (1, 6), generator=generator)
    changed = ids.clone()
    changed[0, -1] = (ids[0, -1] + 1) % vocab_size
    mask = torch.ones_like(ids)
    with torch.no_grad():
        a = encoder(ids.to(device), mask.to(device))[0, 0].float().cpu()
        b = encoder(changed.to(device), mask.to(device))[0, 0].float().cpu()
    change = float((a - b).norm() / a.norm().clamp(min=1e-12))
    if not change > 1e-6:
        raise ExportError(
            "attention is causal: changing the last token left the first token's vector unchanged "
            f"(relative change {change:.2e}); this transformers version ignores the 4-D mask"
        )
    return change


# ── ONNX ──────────────────────────────────────────────────────────────────────────────────────────────


def input_names(position_ids_input: bool) -> list[str]:
    return ["input_ids", "attention_mask"] + (["position_ids"] if position_ids_input else [])


def export_graph(encoder, out_dir: Path, opset: int, vocab_size: int, device, position_ids_input: bool) -> None:
    """torch.onnx.export into a scratch folder, then one model.onnx + model.onnx.data in `out_dir`."""
    import torch

    ids = torch.randint(0, vocab_size, (2, 8), generator=torch.Generator().manual_seed(3))
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # a padded row, so nothing about padding is folded into constants
    args: tuple = (ids.to(device), mask.to(device))
    if position_ids_input:
        args = args + (torch.arange(8).expand(2, 8).contiguous().to(device),)
    names = input_names(position_ids_input)
    axes = {name: {0: "batch", 1: "length"} for name in names + [OUTPUT_NAME]}
    kwargs: dict[str, Any] = {
        "input_names": names,
        "output_names": [OUTPUT_NAME],
        "dynamic_axes": axes,
        "opset_version": opset,
        "do_constant_folding": True,
    }
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter handles dynamic_axes and >2 GB graphs
    scratch = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # Tracing warns at every shape assertion inside transformers (constant under tracing, and
            # harmless: the graph is checked against PyTorch on other shapes afterwards).
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message=".*shape inference of prim::Constant.*")
            with best_effort_shape_inference():
                torch.onnx.export(encoder, args, str(scratch / "model.onnx"), **kwargs)
        consolidate_external_data(scratch / "model.onnx", out_dir / "model.onnx", DATA_FILE)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def best_effort_shape_inference() -> Iterator[None]:
    """PyTorch 2.5's exporter aborts any graph over 2 GiB in its own ONNX shape-inference pass ("The
    serialized model is larger than the 2GiB limit"), a regression fixed in 2.6 (pytorch#140961), where
    that pass is best effort again. This restores the best-effort behaviour for that one error."""
    from torch import _C

    original = getattr(_C, "_jit_pass_onnx_graph_shape_type_inference", None)
    if original is None:
        yield
        return

    def tolerant(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except RuntimeError as err:
            if "2GiB" not in str(err):
                raise
            return None

    _C._jit_pass_onnx_graph_shape_type_inference = tolerant
    try:
        yield
    finally:
        _C._jit_pass_onnx_graph_shape_type_inference = original


def consolidate_external_data(source: Path, target: Path, data_name: str) -> int:
    """Rewrites an ONNX model so every initializer above 1 KiB lives in one `data_name` file beside it.

    torch writes graphs over 2 GB with one external file per tensor and smaller graphs fully inline; the
    model folder should look the same either way. Tensors are streamed, so memory stays at one tensor.
    Returns the size of the data file.
    """
    import onnx
    from onnx import TensorProto, numpy_helper

    model = onnx.load(str(source), load_external_data=False)
    base = source.parent
    data_path = target.parent / data_name
    offset = 0
    with open(data_path, "wb") as data:

        def append_from(read_chunks: Iterator[bytes], size: int) -> int:
            nonlocal offset
            if size >= LARGE_TENSOR_BYTES and offset % ALIGN_LARGE_TENSORS:
                pad = ALIGN_LARGE_TENSORS - offset % ALIGN_LARGE_TENSORS
                data.write(b"\0" * pad)
                offset += pad
            start = offset
            for chunk in read_chunks:
                data.write(chunk)
                offset += len(chunk)
            if offset - start != size:
                raise ExportError(f"{source}: external tensor holds {offset - start} bytes, expected {size}")
            return start

        for tensor in model.graph.initializer:
            if tensor.data_location == TensorProto.EXTERNAL:
                info = {entry.key: entry.value for entry in tensor.external_data}
                path = base / info["location"]
                start_at = int(info.get("offset", 0))
                size = int(info["length"]) if "length" in info else path.stat().st_size - start_at
                start = append_from(_file_chunks(path, start_at, size), size)
            else:
                if tensor.HasField("raw_data"):
                    raw = tensor.raw_data
                else:
                    array = numpy_helper.to_array(tensor)
                    if array.nbytes < EXTERNAL_THRESHOLD_BYTES:
                        continue
                    raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
                if len(raw) < EXTERNAL_THRESHOLD_BYTES:
                    continue
                size = len(raw)
                start = append_from(iter([raw]), size)
                for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data", "string_data"):
                    tensor.ClearField(field)
            del tensor.external_data[:]
            tensor.data_location = TensorProto.EXTERNAL
            for key, value in (("location", data_name), ("offset", str(start)), ("length", str(size))):
                entry = tensor.external_data.add()
                entry.key = key
                entry.value = value
    onnx.save_model(model, str(target))
    onnx.checker.check_model(str(target))
    return offset


def _file_chunks(path: Path, start: int, size: int, chunk: int = 64 << 20) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        left = size
        while left > 0:
            block = handle.read(min(chunk, left))
            if not block:
                break
            left -= len(block)
            yield block


# ── tokenizer and manifest ────────────────────────────────────────────────────────────────────────────

# Qwen2's pre-tokenizer split (Dream keeps Qwen2.5's byte-level BPE unchanged).
QWEN2_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def qwen2_tokenizer_from_vocab(checkpoint: Path):
    """Builds tokenizer.json from vocab.json + merges.txt the way transformers' Qwen2 converter does.

    Dream's tokenizer is a slow Qwen2-style class (vocab.json, merges.txt, tokenizer_config.json), and a
    checkpoint may lack tokenizer.json, the only file Saegim's tokenizer reads.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = json.loads((checkpoint / "vocab.json").read_text(encoding="utf-8"))
    merges = []
    for line in (checkpoint / "merges.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#version"):
            continue
        left, _, right = line.partition(" ")
        merges.append((left, right))
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=None, byte_fallback=False, fuse_unk=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    config_path = checkpoint / "tokenizer_config.json"
    added = json.loads(config_path.read_text(encoding="utf-8")).get("added_tokens_decoder", {}) if config_path.exists() else {}
    for token_id, spec in sorted(added.items(), key=lambda item: int(item[0])):
        token = AddedToken(
            spec["content"],
            single_word=spec.get("single_word", False),
            lstrip=spec.get("lstrip", False),
            rstrip=spec.get("rstrip", False),
            normalized=spec.get("normalized", False),
            special=spec.get("special", True),
        )
        if spec.get("special", True):
            tokenizer.add_special_tokens([token])
        else:
            tokenizer.add_tokens([token])
        if tokenizer.token_to_id(spec["content"]) != int(token_id):
            raise ExportError(
                f"{config_path}: added token {spec['content']!r} should have id {token_id} but lands on "
                f"{tokenizer.token_to_id(spec['content'])} after vocab.json's {len(vocab)} entries"
            )
    return tokenizer


def write_tokenizer(checkpoint: Path, out_dir: Path, family: str):
    """Copies tokenizer.json (or builds it for Dream from vocab.json + merges.txt); returns it loaded."""
    from tokenizers import Tokenizer

    source = checkpoint / "tokenizer.json"
    target = out_dir / "tokenizer.json"
    if source.exists():
        shutil.copyfile(source, target)
    elif family == "dream" and (checkpoint / "vocab.json").exists() and (checkpoint / "merges.txt").exists():
        qwen2_tokenizer_from_vocab(checkpoint).save(str(target))
    else:
        hint = " (nor vocab.json + merges.txt to build one from)" if family == "dream" else ""
        raise ExportError(f"{source}: missing{hint}; Saegim needs the Hugging Face fast-tokenizer file tokenizer.json")
    try:
        return Tokenizer.from_file(str(target))
    except Exception as err:  # the Rust library's errors are plain Exceptions
        raise ExportError(f"{target}: not a Hugging Face tokenizer.json ({err})") from err


def _token_text(tokenizer, token_id: Any) -> str | None:
    if isinstance(token_id, list):
        token_id = token_id[0] if token_id else None
    if token_id is None:
        return None
    return tokenizer.id_to_token(int(token_id))


def mask_token_of(tokenizer, config: dict[str, Any], family: str) -> str | None:
    """The mask token's text, from config.json's mask_token_id (Dream, LLaDA) or the family's default."""
    defaults = FAMILY_DEFAULTS[family]
    if config.get("mask_token_id") is not None:
        text = _token_text(tokenizer, config["mask_token_id"])
        if text is None:
            raise ExportError(f"config.json: mask_token_id {config['mask_token_id']} is not in tokenizer.json")
        return text
    if tokenizer.token_to_id(defaults.mask_token) is not None:
        return defaults.mask_token
    if defaults.mask_token_id is not None:
        return _token_text(tokenizer, defaults.mask_token_id)
    return None


def drop_tokens_of(tokenizer, config: dict[str, Any], family: str) -> list[str]:
    """BOS/EOS/pad: they carry no passage content, so their vectors are left out of MaxSim."""
    found: list[str] = []
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        text = _token_text(tokenizer, config.get(key))
        if text and text not in found:
            found.append(text)
    for text in FAMILY_DEFAULTS[family].special_tokens:
        if tokenizer.token_to_id(text) is not None and text not in found:
            found.append(text)
    return found


def pad_token_id_of(config: dict[str, Any]) -> int:
    for key in ("pad_token_id", "eos_token_id"):
        value = config.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            return int(value)
    return 0


def build_manifest(
    *,
    name: str,
    family: str,
    config: dict[str, Any],
    tokenizer,
    output_width: int,
    max_length: int,
    position_ids_input: bool,
    projection_dim: int | None,
    query_prefix: str = "",
    document_prefix: str = "",
) -> dict[str, Any]:
    """encoder.json in the shape main/encoders/manifest.ts validates."""
    return {
        "name": name,
        # `decoder` tells Saegim to feed position_ids; without that input the graph derives them itself.
        "architecture": "decoder" if position_ids_input else "bert",
        "inputs": {
            "inputIds": "input_ids",
            "attentionMask": "attention_mask",
            "tokenTypeIds": None,
            "positionIds": "position_ids" if position_ids_input else None,
        },
        "output": OUTPUT_NAME,
        "hiddenSize": output_width,
        "maxLength": max_length,
        "queryPrefix": query_prefix,
        "documentPrefix": document_prefix,
        "normalize": True,
        "projection": {"file": PROJECTION_FILE, "dim": projection_dim} if projection_dim else None,
        "maskToken": mask_token_of(tokenizer, config, family),
        # The paper encodes at t = 0 with no mask tokens; query augmentation stays off.
        "queryAugmentLength": 0,
        "padTokenId": pad_token_id_of(config),
        "addSpecialTokens": FAMILY_DEFAULTS[family].add_special_tokens,
        "dropTokens": drop_tokens_of(tokenizer, config, family),
    }


# ── projection ────────────────────────────────────────────────────────────────────────────────────────


def random_projection(hidden: int, dim: int, seed: int = 0):
    """[hidden, dim] with orthonormal columns: a Gaussian matrix orthogonalised by QR.

    Johnson–Lindenstrauss: a random map to k dimensions keeps pairwise dot products within ε with
    k = O(log n / ε²); orthonormal columns remove the variance that plain Gaussian columns add.
    """
    import numpy as np

    if not 0 < dim <= hidden:
        raise ExportError(f"--projection: expected 1..{hidden} (the hidden size), got {dim}")
    gaussian = np.random.default_rng(seed).standard_normal((hidden, dim))
    q, r = np.linalg.qr(gaussian)
    q = q * np.sign(np.diag(r))  # QR's sign ambiguity fixed, so a seed always gives the same matrix
    return q.astype(np.float32)


def read_projection(path: Path, hidden: int, dim: int | None):
    """A learned projection: .npy of shape [hidden, dim] (or [dim, hidden], a Linear weight), or raw
    little-endian float32 [hidden, dim] with --projection giving dim."""
    import numpy as np

    if not path.exists():
        raise ExportError(f"{path}: projection file missing")
    if path.suffix == ".npy":
        matrix = np.load(path)
        if matrix.ndim != 2:
            raise ExportError(f"{path}: expected a 2-D matrix, got shape {matrix.shape}")
        if matrix.shape[0] != hidden and matrix.shape[1] == hidden:
            matrix = matrix.T
        if matrix.shape[0] != hidden:
            raise ExportError(f"{path}: shape {matrix.shape} has no side of length {hidden} (the hidden size)")
        if dim is not None and matrix.shape[1] != dim:
            raise ExportError(f"{path}: projects to {matrix.shape[1]} dimensions but --projection says {dim}")
        return matrix.astype(np.float32)
    if dim is None:
        raise ExportError(f"{path}: a raw float32 projection needs --projection DIM to know its shape")
    raw = np.fromfile(path, dtype="<f4")
    if raw.size != hidden * dim:
        raise ExportError(f"{path}: holds {raw.size} float32 values, expected {hidden}×{dim} = {hidden * dim}")
    return raw.reshape(hidden, dim).astype(np.float32)


# ── verification ──────────────────────────────────────────────────────────────────────────────────────


def reference_batch(tokenizer, family: str, max_length: int, vocab_size: int):
    """A padded batch: the reference texts as the exported tokenizer encodes them, plus one random row."""
    import numpy as np

    rows = []
    for text in REFERENCE_TEXTS:
        ids = tokenizer.encode(text, add_special_tokens=FAMILY_DEFAULTS[family].add_special_tokens).ids[:max_length]
        rows.append([i for i in ids if i < vocab_size] or [0])
    rows.append(list(np.random.default_rng(11).integers(0, vocab_size, size=min(5, max_length))))
    length = max(len(r) for r in rows)
    ids = np.zeros((len(rows), length), dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def verify(out_dir: Path, encoder, ids, mask, device, position_ids_input: bool, vocab_size: int) -> dict[str, float]:
    """onnxruntime against PyTorch on the same padded batch, real tokens only; plus the ONNX graph's own
    bidirectionality and padding invariance (a row alone equals the same row padded in a batch)."""
    import numpy as np
    import onnxruntime as ort
    import torch

    session = ort.InferenceSession(str(out_dir / "model.onnx"), providers=["CPUExecutionProvider"])

    def run_onnx(batch_ids, batch_mask):
        feeds = {"input_ids": batch_ids, "attention_mask": batch_mask}
        if position_ids_input:
            feeds["position_ids"] = np.broadcast_to(np.arange(batch_ids.shape[1], dtype=np.int64), batch_ids.shape).copy()
        return session.run([OUTPUT_NAME], feeds)[0]

    with torch.no_grad():
        args = [torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)]
        if position_ids_input:
            args.append(torch.arange(ids.shape[1]).expand(*ids.shape).contiguous().to(device))
        expected = encoder(*args).float().cpu().numpy()
    got = run_onnx(ids, mask)
    real = mask.astype(bool)
    a, b = expected[real], got[real]
    cosine = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-30)
    short = int(mask.sum(1).argmin())
    n = int(mask[short].sum())
    alone = run_onnx(ids[short : short + 1, :n], mask[short : short + 1, :n])[0]
    changed = ids[:1, : int(mask[0].sum())].copy()
    first = run_onnx(changed, np.ones_like(changed))[0, 0]
    changed[0, -1] = (changed[0, -1] + 1) % vocab_size
    first_after = run_onnx(changed, np.ones_like(changed))[0, 0]
    return {
        "max_abs_diff": float(np.abs(a - b).max()),
        "max_abs_value": float(np.abs(a).max()),
        "min_token_cosine": float(cosine.min()),
        "padding_max_abs_diff": float(np.abs(alone - got[short, :n]).max()),
        "onnx_bidirectional_change": float(np.linalg.norm(first - first_after) / (np.linalg.norm(first) + 1e-30)),
        "all_finite": bool(np.isfinite(got).all()),
    }


# ── command line ──────────────────────────────────────────────────────────────────────────────────────


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="export_dlm_onnx.py",
        description="Export Dream-7B / LLaDA-8B (a local Hugging Face folder) as a Saegim ONNX model folder.",
    )
    parser.add_argument("checkpoint", type=Path, help="local Hugging Face checkpoint folder (never downloaded)")
    parser.add_argument("out_dir", type=Path, help="model folder to write")
    parser.add_argument("--family", choices=["auto", *FAMILIES], default="auto")
    parser.add_argument(
        "--dtype", choices=["fp32", "fp16"], default="fp32", help="weight precision in the graph (output is always float32)"
    )
    parser.add_argument(
        "--device", choices=["auto", "cpu", "cuda"], default="auto", help="where the model is traced (auto: cuda when available)"
    )
    parser.add_argument("--max-length", type=int, default=512, help="tokens per text Saegim feeds the model")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--projection", type=int, metavar="DIM", help="project token vectors to DIM dimensions")
    parser.add_argument("--projection-file", type=Path, help="learned projection (.npy [hidden, DIM] or raw float32)")
    parser.add_argument("--projection-seed", type=int, default=0, help="seed of the random projection")
    parser.add_argument(
        "--projection-in-graph", action="store_true", help="fold the projection into model.onnx instead of projection.f32"
    )
    parser.add_argument("--position-ids", action="store_true", help="make position_ids a graph input (architecture 'decoder')")
    parser.add_argument("--name", help="model name in encoder.json (default: the checkpoint folder's name)")
    parser.add_argument("--query-prefix", default="")
    parser.add_argument("--document-prefix", default="")
    parser.add_argument("--no-verify", action="store_true", help="skip the onnxruntime-vs-PyTorch comparison")
    parser.add_argument("--force", action="store_true", help="overwrite a folder that already holds a model")
    args = parser.parse_args(argv)
    if args.max_length < 1:
        parser.error("--max-length: expected a positive number")
    if args.projection is not None and args.projection < 1:
        parser.error("--projection: expected a positive number")
    if args.projection_in_graph and args.projection is None and args.projection_file is None:
        parser.error("--projection-in-graph needs --projection DIM or --projection-file")
    return args


def require_packages() -> None:
    missing = []
    for module in ("torch", "transformers", "onnx", "onnxruntime", "safetensors", "tokenizers", "numpy"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ExportError(f"missing Python packages: {', '.join(missing)} (pip install -r tools/requirements-export.txt)")


def pick_device(requested: str, dtype_name: str):
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise ExportError("--device cuda: PyTorch sees no CUDA GPU")
    name = "cuda" if requested == "cuda" or (requested == "auto" and torch.cuda.is_available()) else "cpu"
    device = torch.device(name)
    if dtype_name == "fp16":
        try:
            probe = torch.nn.Linear(4, 4).half().to(device)
            probe(torch.ones(1, 4, dtype=torch.float16, device=device))
        except RuntimeError as err:
            raise ExportError(
                f"--dtype fp16: this PyTorch cannot run float16 matrix products on {name} ({err}); "
                "trace on a CUDA GPU (--device cuda) or export --dtype fp32"
            ) from err
    return device


def export(args: argparse.Namespace) -> dict[str, Any]:
    require_packages()
    import numpy as np
    import torch
    import transformers

    checkpoint = args.checkpoint.resolve()
    out_dir = args.out_dir.resolve()
    config = read_config(checkpoint)
    family = detect_family(config, args.family)
    hidden = hidden_size_of(config)
    max_positions = max_positions_of(config)
    if max_positions and args.max_length > max_positions:
        raise ExportError(f"--max-length {args.max_length} exceeds the model's {max_positions} positions")
    if out_dir.exists() and (out_dir / "model.onnx").exists() and not args.force:
        raise ExportError(f"{out_dir}: already holds model.onnx (pass --force to overwrite)")
    out_dir.mkdir(parents=True, exist_ok=True)
    device = pick_device(args.device, args.dtype)
    dtype = torch.float16 if args.dtype == "fp16" else torch.float32

    projection = None
    if args.projection_file is not None:
        projection = read_projection(args.projection_file, hidden, args.projection)
    elif args.projection is not None:
        projection = random_projection(hidden, args.projection, args.projection_seed)
    projection_dim = int(projection.shape[1]) if projection is not None else None

    tokenizer = write_tokenizer(checkpoint, out_dir, family)
    backbone = load_backbone(checkpoint, config, family, dtype).to(device)
    vocab_size = int(backbone.embed_tokens.weight.shape[0])
    largest = max(tokenizer.get_vocab(with_added_tokens=True).values())
    if largest >= vocab_size:
        raise ExportError(f"tokenizer.json has token id {largest} but the model's embedding has {vocab_size} rows")
    encoder = make_encoder(backbone, projection if args.projection_in_graph else None)
    bidirectional = check_bidirectional(encoder, vocab_size, device)
    export_graph(encoder, out_dir, args.opset, vocab_size, device, args.position_ids)

    if projection is not None and not args.projection_in_graph:
        projection.astype("<f4").tofile(out_dir / PROJECTION_FILE)
    elif (out_dir / PROJECTION_FILE).exists():
        (out_dir / PROJECTION_FILE).unlink()
    output_width = projection_dim if args.projection_in_graph else hidden
    manifest = build_manifest(
        name=args.name or checkpoint.name,
        family=family,
        config=config,
        tokenizer=tokenizer,
        output_width=int(output_width),
        max_length=args.max_length,
        position_ids_input=args.position_ids,
        projection_dim=None if args.projection_in_graph else projection_dim,
        query_prefix=args.query_prefix,
        document_prefix=args.document_prefix,
    )
    (out_dir / "encoder.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    report: dict[str, Any] = {
        "family": family,
        "dtype": args.dtype,
        "device": str(device),
        "opset": args.opset,
        "hidden_size": hidden,
        "output_width": int(output_width),
        "projection": None
        if projection is None
        else {
            "dim": projection_dim,
            "in_graph": bool(args.projection_in_graph),
            "source": str(args.projection_file) if args.projection_file else f"random, seed {args.projection_seed}",
        },
        "bidirectional_change_torch": bidirectional,
        "model_onnx_bytes": (out_dir / "model.onnx").stat().st_size,
        "model_onnx_data_bytes": (out_dir / DATA_FILE).stat().st_size,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__},
    }
    if not args.no_verify:
        import onnxruntime

        ids, mask = reference_batch(tokenizer, family, args.max_length, vocab_size)
        numbers = verify(out_dir, encoder, ids, mask, device, args.position_ids, vocab_size)
        report["verification"] = numbers
        report["versions"]["onnxruntime"] = onnxruntime.__version__
        problems = []
        if not numbers["all_finite"]:
            problems.append(
                "onnxruntime produced non-finite values"
                + (" (float16 overflow: export --dtype fp32)" if args.dtype == "fp16" else "")
            )
        if numbers["min_token_cosine"] < MIN_COSINE[args.dtype]:
            problems.append(
                f"a token's ONNX vector has cosine {numbers['min_token_cosine']:.6f} with PyTorch's (< {MIN_COSINE[args.dtype]})"
            )
        if not numbers["onnx_bidirectional_change"] > 1e-6:
            problems.append("the ONNX graph is causal (a later token does not change an earlier one)")
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
        print(f"export_dlm_onnx: error: {err}", file=sys.stderr)
        return 2
    numbers = report.get("verification")
    summary = f"wrote {args.out_dir} ({report['family']}, {report['dtype']}, width {report['output_width']})"
    if numbers:
        summary += (
            f"; onnxruntime vs PyTorch: max |Δ| {numbers['max_abs_diff']:.2e}, min cosine {numbers['min_token_cosine']:.6f}"
        )
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
