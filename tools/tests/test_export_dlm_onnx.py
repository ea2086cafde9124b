"""tools/export_dlm_onnx.py on tiny randomly initialised Dream-shaped and LLaDA-shaped checkpoints.

Each checkpoint is written in its family's real layout (Dream: Qwen2 tensor names under a `Dream` config;
LLaDA: OLMo tensor names under a `llada` config) with a byte-level BPE tokenizer trained here on a few
Korean sentences. The exported graph is checked against an independent float64 re-implementation of
each family's forward pass (bidirectional attention, RoPE, RMSNorm, SwiGLU), not against transformers.

Needs torch, transformers, onnx, onnxruntime, tokenizers, safetensors and numpy
(tools/requirements-export.txt); without them the whole module is skipped with the reason.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed (pip install -r tools/requirements-export.txt)")
torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install -r tools/requirements-export.txt)")
pytest.importorskip("transformers", reason="transformers is not installed (pip install -r tools/requirements-export.txt)")
onnx = pytest.importorskip("onnx", reason="onnx is not installed (pip install -r tools/requirements-export.txt)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -r tools/requirements-export.txt)")
tokenizers = pytest.importorskip(
    "tokenizers", reason="tokenizers is not installed (pip install -r tools/requirements-export.txt)"
)
safetensors_torch = pytest.importorskip(
    "safetensors.torch", reason="safetensors is not installed (pip install -r tools/requirements-export.txt)"
)

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS))
import export_dlm_onnx as tool  # noqa: E402

FP32_TOLERANCE = 1e-4
VOCAB = 1000
HIDDEN = 64
HEADS = 4
LAYERS = 2
MLP = 128

KOREAN = [
    "서울은 대한민국의 수도이다.",
    "훈민정음은 1443년에 세종대왕이 만들었다.",
    "광합성이란 식물이 빛을 이용해 양분을 만드는 과정이다.",
    "부산은 한국에서 두 번째로 큰 도시이다.",
    "김치는 배추와 고춧가루로 담근다.",
    "한강은 서울을 가로질러 흐른다.",
    "세종대왕은 조선의 네 번째 임금이다.",
    "독도는 동해에 있는 섬이다.",
]


# ── tiny checkpoints ──────────────────────────────────────────────────────────────────────────────────


def train_tokenizer(specials: list[str], bos: str | None):
    """Qwen2-style byte-level BPE; special tokens are appended after the learned vocabulary, as in
    Dream's and LLaDA's tokenizers, so their ids follow the BPE ids."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(tool.QWEN2_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(KOREAN, trainer)
    tok.add_special_tokens(specials)
    if bos is None:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    else:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, tok.token_to_id(bos))]
        )
    assert tok.get_vocab_size() < VOCAB
    return tok


def write_slow_tokenizer_files(tok, folder: Path, specials: list[str]) -> None:
    """vocab.json + merges.txt + tokenizer_config.json, the files Dream's checkpoints ship."""
    tok.model.save(str(folder))
    added = {
        str(tok.token_to_id(s)): {
            "content": s,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for s in specials
    }
    (folder / "tokenizer_config.json").write_text(json.dumps({"added_tokens_decoder": added}), encoding="utf-8")


def randomize(tensor, generator, scale=0.1, around=0.0):
    with torch.no_grad():
        tensor.copy_(around + scale * torch.randn(tensor.shape, generator=generator))


def make_dream_checkpoint(folder: Path, with_tokenizer_json: bool = True) -> Path:
    """Qwen2 tensors (with q/k/v biases, grouped-query attention) under a Dream config.json."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    folder.mkdir(parents=True)
    specials = ["<|endoftext|>", "<|beginoftext|>", "<|mask|>"]
    tok = train_tokenizer(specials, bos=None)
    config = Qwen2Config(
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        intermediate_size=MLP,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=2,
        max_position_embeddings=256,
        rope_theta=10000.0,
        rms_norm_eps=1e-6,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    generator = torch.Generator().manual_seed(1)
    for name, param in model.named_parameters():
        randomize(param, generator, 0.1, 1.0 if name.endswith("norm.weight") else 0.0)
    model.save_pretrained(str(folder), safe_serialization=True)
    raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    raw.update(
        model_type="Dream",
        architectures=["DreamModel"],
        mask_token_id=tok.token_to_id("<|mask|>"),
        bos_token_id=tok.token_to_id("<|beginoftext|>"),
        eos_token_id=tok.token_to_id("<|endoftext|>"),
        pad_token_id=tok.token_to_id("<|endoftext|>"),
    )
    raw["auto_map"] = {"AutoConfig": "configuration_dream.DreamConfig", "AutoModel": "modeling_dream.DreamModel"}
    (folder / "config.json").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    write_slow_tokenizer_files(tok, folder, specials)
    if with_tokenizer_json:
        tok.save(str(folder / "tokenizer.json"))
    return folder


def llada_names(layer: int) -> dict[str, str]:
    p = f"model.transformer.blocks.{layer}."
    return {
        "attn_norm": p + "attn_norm.weight",
        "q": p + "q_proj.weight",
        "k": p + "k_proj.weight",
        "v": p + "v_proj.weight",
        "o": p + "attn_out.weight",
        "ffn_norm": p + "ff_norm.weight",
        "gate": p + "ff_proj.weight",
        "up": p + "up_proj.weight",
        "down": p + "ff_out.weight",
    }


def make_llada_checkpoint(folder: Path, with_tokenizer_json: bool = True) -> Path:
    """LLaDA's own layout: OLMo tensor names, sharded safetensors with an index, a `llada` config."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True)
    specials = ["<|startoftext|>", "<|endoftext|>", "<|mdm_mask|>"]
    tok = train_tokenizer(specials, bos="<|startoftext|>")
    generator = torch.Generator().manual_seed(2)
    weights = {
        "model.transformer.wte.weight": torch.randn(VOCAB, HIDDEN, generator=generator) * 0.5,
        "model.transformer.ln_f.weight": 1 + 0.1 * torch.randn(HIDDEN, generator=generator),
        "model.transformer.ff_out.weight": 0.1 * torch.randn(VOCAB, HIDDEN, generator=generator),
    }
    for layer in range(LAYERS):
        n = llada_names(layer)
        shapes = {
            "attn_norm": (HIDDEN,),
            "q": (HIDDEN, HIDDEN),
            "k": (HIDDEN, HIDDEN),
            "v": (HIDDEN, HIDDEN),
            "o": (HIDDEN, HIDDEN),
            "ffn_norm": (HIDDEN,),
            "gate": (MLP, HIDDEN),
            "up": (MLP, HIDDEN),
            "down": (HIDDEN, MLP),
        }
        for part, shape in shapes.items():
            around = 1.0 if part.endswith("norm") else 0.0
            weights[n[part]] = around + 0.15 * torch.randn(*shape, generator=generator)
    names = sorted(weights)
    shards = {
        "model-00001-of-00002.safetensors": names[: len(names) // 2],
        "model-00002-of-00002.safetensors": names[len(names) // 2 :],
    }
    for shard, keys in shards.items():
        save_file({k: weights[k].contiguous() for k in keys}, str(folder / shard), metadata={"format": "pt"})
    index = {"metadata": {}, "weight_map": {k: shard for shard, keys in shards.items() for k in keys}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")
    config = {
        "model_type": "llada",
        "architectures": ["LLaDAModelLM"],
        "d_model": HIDDEN,
        "n_heads": HEADS,
        "n_kv_heads": HEADS,
        "n_layers": LAYERS,
        "mlp_hidden_size": MLP,
        "mlp_ratio": 4,
        "vocab_size": VOCAB,
        "embedding_size": VOCAB,
        "max_sequence_length": 256,
        "rope_theta": 500000.0,
        "rms_norm_eps": 1e-5,
        "block_type": "llama",
        "activation_type": "silu",
        "layer_norm_type": "rms",
        "include_bias": False,
        "include_qkv_bias": False,
        "rope": True,
        "alibi": False,
        "weight_tying": False,
        "block_group_size": 1,
        "attention_layer_norm": False,
        "input_emb_norm": False,
        "mask_token_id": tok.token_to_id("<|mdm_mask|>"),
        "eos_token_id": tok.token_to_id("<|endoftext|>"),
        "pad_token_id": tok.token_to_id("<|endoftext|>"),
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    if with_tokenizer_json:
        tok.save(str(folder / "tokenizer.json"))
    return folder


# ── independent float64 reference of each family's forward pass ───────────────────────────────────────


def rms(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def reference_forward(weights, names, ids, *, heads, kv_heads, theta, eps, embed, final_norm, biases=False):
    """Bidirectional pre-norm transformer over one unpadded sequence: what Dream (Qwen2 blocks) and LLaDA
    (Llama blocks) compute at t = 0. No mask at all: every token attends to every token."""
    w = {k: v.double() for k, v in weights.items()}
    x = w[embed][torch.tensor(ids)]
    n = len(ids)
    head_dim = x.shape[-1] // heads
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    freqs = torch.arange(n, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat((freqs, freqs), -1).cos(), torch.cat((freqs, freqs), -1).sin()
    for layer in range(LAYERS):
        p = names(layer)
        h = rms(x, w[p["attn_norm"]], eps)

        def proj(part, h=h, p=p):
            out = h @ w[p[part]].T
            return out + w[p[part].replace(".weight", ".bias")] if biases else out

        q = proj("q").view(n, heads, head_dim).transpose(0, 1)
        k = proj("k").view(n, kv_heads, head_dim).transpose(0, 1)
        v = proj("v").view(n, kv_heads, head_dim).transpose(0, 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(heads // kv_heads, 0), v.repeat_interleave(heads // kv_heads, 0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(head_dim), -1) @ v
        x = x + att.transpose(0, 1).reshape(n, -1) @ w[p["o"]].T
        h = rms(x, w[p["ffn_norm"]], eps)
        x = x + (torch.nn.functional.silu(h @ w[p["gate"]].T) * (h @ w[p["up"]].T)) @ w[p["down"]].T
    return rms(x, w[final_norm], eps).numpy()


def load_weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    weights = {}
    for file in sorted(folder.glob("*.safetensors")):
        weights.update(load_file(str(file)))
    return weights


def hf_names(layer: int) -> dict[str, str]:
    p = f"model.layers.{layer}."
    return {
        "attn_norm": p + "input_layernorm.weight",
        "q": p + "self_attn.q_proj.weight",
        "k": p + "self_attn.k_proj.weight",
        "v": p + "self_attn.v_proj.weight",
        "o": p + "self_attn.o_proj.weight",
        "ffn_norm": p + "post_attention_layernorm.weight",
        "gate": p + "mlp.gate_proj.weight",
        "up": p + "mlp.up_proj.weight",
        "down": p + "mlp.down_proj.weight",
    }


def dream_reference(folder: Path, ids: list[int]):
    return reference_forward(
        load_weights(folder),
        hf_names,
        ids,
        heads=HEADS,
        kv_heads=2,
        theta=10000.0,
        eps=1e-6,
        embed="model.embed_tokens.weight",
        final_norm="model.norm.weight",
        biases=True,
    )


def llada_reference(folder: Path, ids: list[int]):
    return reference_forward(
        load_weights(folder),
        llada_names,
        ids,
        heads=HEADS,
        kv_heads=HEADS,
        theta=500000.0,
        eps=1e-5,
        embed="model.transformer.wte.weight",
        final_norm="model.transformer.ln_f.weight",
    )


REFERENCES = {"dream": dream_reference, "llada": llada_reference}


# ── helpers ───────────────────────────────────────────────────────────────────────────────────────────


def run_tool(checkpoint: Path, out: Path, *extra: str) -> int:
    return tool.main([str(checkpoint), str(out), "--device", "cpu", "--max-length", "64", *extra])


def session(folder: Path):
    return ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])


def encode(folder: Path, texts: list[str]) -> list[list[int]]:
    manifest = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
    tok = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    return [tok.encode(t, add_special_tokens=manifest["addSpecialTokens"]).ids for t in texts]


def padded(rows: list[list[int]], pad: int = 0):
    length = max(map(len, rows))
    ids = np.full((len(rows), length), pad, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def run_graph(folder: Path, ids, mask):
    return session(folder).run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("dlm-export")


@pytest.fixture(scope="module")
def dream(work):
    checkpoint = make_dream_checkpoint(work / "Dream-tiny")
    out = work / "dream-onnx"
    assert run_tool(checkpoint, out) == 0
    return checkpoint, out


@pytest.fixture(scope="module")
def llada(work):
    checkpoint = make_llada_checkpoint(work / "LLaDA-tiny")
    out = work / "llada-onnx"
    assert run_tool(checkpoint, out) == 0
    return checkpoint, out


@pytest.fixture(params=["dream", "llada"])
def exported(request):
    return request.param, request.getfixturevalue(request.param)


# ── tests ─────────────────────────────────────────────────────────────────────────────────────────────


def test_onnx_output_equals_the_bidirectional_reference_within_1e_4(exported):
    family, (checkpoint, out) = exported
    rows = encode(out, KOREAN[:4])
    ids, mask = padded(rows)
    got = run_graph(out, ids, mask)
    worst = 0.0
    for i, row in enumerate(rows):
        expected = REFERENCES[family](checkpoint, row)
        worst = max(worst, float(np.abs(got[i, : len(row)] - expected).max()))
    print(f"{family}: ONNX (fp32, padded batch) vs float64 reference: max |diff| = {worst:.3e}")
    assert worst <= FP32_TOLERANCE


def test_export_report_records_onnx_against_pytorch_within_1e_4(exported):
    family, (_, out) = exported
    report = json.loads((out / "export-report.json").read_text(encoding="utf-8"))
    numbers = report["verification"]
    print(f"{family}: export-report {numbers}")
    assert numbers["max_abs_diff"] <= FP32_TOLERANCE
    assert numbers["padding_max_abs_diff"] <= FP32_TOLERANCE
    assert numbers["min_token_cosine"] > 0.99999
    assert report["bidirectional_change_torch"] > 1e-3


def test_a_later_token_changes_an_earlier_tokens_vector(exported):
    _, (_, out) = exported
    row = encode(out, [KOREAN[0]])[0]
    changed = list(row)
    changed[-1] = (changed[-1] + 1) % VOCAB
    ids, mask = padded([row, changed])
    got = run_graph(out, ids, mask)
    assert np.abs(got[0, 0] - got[1, 0]).max() > 1e-3
    assert np.abs(got[0, 1] - got[1, 1]).max() > 1e-3


def test_padding_changes_nothing_for_real_tokens(exported):
    _, (_, out) = exported
    row = encode(out, [KOREAN[1]])[0]
    alone = run_graph(out, *padded([row]))[0]
    ids, mask = padded([row + [5, 6, 7, 8]])
    mask[0, len(row) :] = 0  # the four extra ids are padding: no real token may look at them
    in_batch = run_graph(out, ids, mask)[0, : len(row)]
    assert np.abs(alone - in_batch).max() <= FP32_TOLERANCE


def test_folder_holds_model_with_external_data_tokenizer_and_manifest(exported):
    family, (checkpoint, out) = exported
    names = {p.name for p in out.iterdir()}
    assert {"model.onnx", "model.onnx.data", "tokenizer.json", "encoder.json", "export-report.json"} <= names
    assert not any(n.startswith(".export-") for n in names), "scratch folder left behind"
    model = onnx.load(str(out / "model.onnx"), load_external_data=False)
    external = [t for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external, "weights should live in model.onnx.data"
    assert {e.value for t in external for e in t.external_data if e.key == "location"} == {"model.onnx.data"}
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask"]
    assert [o.name for o in model.graph.output] == ["last_hidden_state"]
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        assert dims[0].dim_param and dims[1].dim_param, f"{value.name} needs dynamic batch and length"
    assert (out / "tokenizer.json").read_bytes() == (checkpoint / "tokenizer.json").read_bytes()


def test_dream_manifest_fields(dream):
    checkpoint, out = dream
    manifest = json.loads((out / "encoder.json").read_text(encoding="utf-8"))
    tok = tokenizers.Tokenizer.from_file(str(out / "tokenizer.json"))
    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "Dream-tiny"
    assert manifest["architecture"] == "bert"
    assert manifest["inputs"] == {
        "inputIds": "input_ids",
        "attentionMask": "attention_mask",
        "tokenTypeIds": None,
        "positionIds": None,
    }
    assert manifest["output"] == "last_hidden_state"
    assert manifest["hiddenSize"] == HIDDEN
    assert manifest["maxLength"] == 64
    assert manifest["normalize"] is True
    assert manifest["projection"] is None
    assert manifest["maskToken"] == "<|mask|>" and tok.token_to_id("<|mask|>") == config["mask_token_id"]
    assert manifest["queryAugmentLength"] == 0
    assert manifest["padTokenId"] == config["pad_token_id"]
    assert manifest["addSpecialTokens"] is False
    assert set(manifest["dropTokens"]) == {"<|beginoftext|>", "<|endoftext|>"}
    assert manifest["queryPrefix"] == "" and manifest["documentPrefix"] == ""


def test_llada_manifest_fields(llada):
    checkpoint, out = llada
    manifest = json.loads((out / "encoder.json").read_text(encoding="utf-8"))
    tok = tokenizers.Tokenizer.from_file(str(out / "tokenizer.json"))
    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    assert manifest["architecture"] == "bert"
    assert manifest["hiddenSize"] == HIDDEN
    assert manifest["maskToken"] == "<|mdm_mask|>" and tok.token_to_id("<|mdm_mask|>") == config["mask_token_id"]
    assert manifest["addSpecialTokens"] is True
    assert set(manifest["dropTokens"]) == {"<|startoftext|>", "<|endoftext|>"}
    # LLaDA's tokenizer puts <|startoftext|> first; the encoder sees it and Saegim drops its vector.
    assert encode(out, ["서울"])[0][0] == tok.token_to_id("<|startoftext|>")


def test_family_is_read_from_model_type_or_architectures():
    assert tool.detect_family({"model_type": "Dream"}) == "dream"
    assert tool.detect_family({"model_type": "llada"}) == "llada"
    assert tool.detect_family({"architectures": ["LLaDAModelLM"]}) == "llada"
    assert tool.detect_family({"architectures": ["DreamModel"]}) == "dream"
    assert tool.detect_family({"model_type": "qwen2"}, "dream") == "dream"
    with pytest.raises(tool.ExportError, match="--family"):
        tool.detect_family({"model_type": "qwen2"})


def test_llada_tensor_names_map_onto_llama_layers():
    assert tool.backbone_key("model.transformer.blocks.3.ff_proj.weight", True) == "layers.3.mlp.gate_proj.weight"
    assert tool.backbone_key("model.transformer.blocks.0.attn_out.weight", True) == "layers.0.self_attn.o_proj.weight"
    assert tool.backbone_key("model.transformer.block_groups.1.2.ff_out.weight", True, 4) == "layers.6.mlp.down_proj.weight"
    assert tool.backbone_key("model.transformer.ff_out.weight", True) is None  # the LM head
    assert tool.backbone_key("lm_head.weight", False) is None
    with pytest.raises(tool.ExportError):
        tool.backbone_key("model.transformer.blocks.0.mystery.weight", True)


def test_a_causal_model_is_refused():
    from transformers import Qwen2Config, Qwen2Model

    config = Qwen2Config(
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        intermediate_size=MLP,
        num_hidden_layers=1,
        num_attention_heads=HEADS,
        num_key_value_heads=HEADS,
        attn_implementation="eager",
    )
    causal = Qwen2Model(config).eval()
    with pytest.raises(tool.ExportError, match="causal"):
        tool.check_bidirectional(lambda ids, mask: causal(input_ids=ids, attention_mask=mask).last_hidden_state, VOCAB, "cpu")


def test_random_projection_is_written_beside_the_model_and_seeded(dream, work):
    checkpoint, full = dream
    out = work / "dream-proj"
    assert run_tool(checkpoint, out, "--projection", "16", "--projection-seed", "5", "--no-verify") == 0
    manifest = json.loads((out / "encoder.json").read_text(encoding="utf-8"))
    assert manifest["projection"] == {"file": "projection.f32", "dim": 16}
    assert manifest["hiddenSize"] == HIDDEN
    matrix = np.fromfile(out / "projection.f32", dtype="<f4").reshape(HIDDEN, 16)
    assert np.abs(matrix.T @ matrix - np.eye(16)).max() < 1e-5  # orthonormal columns
    assert np.array_equal(matrix, tool.random_projection(HIDDEN, 16, 5))
    assert not np.array_equal(matrix, tool.random_projection(HIDDEN, 16, 6))
    ids, mask = padded(encode(out, [KOREAN[2]]))
    assert np.abs(run_graph(out, ids, mask) - run_graph(full, ids, mask)).max() == 0  # graph unchanged


def test_projection_folded_into_the_graph_with_position_ids_input(dream, work):
    checkpoint, full = dream
    learned = np.random.default_rng(3).standard_normal((HIDDEN, 8)).astype(np.float32)
    np.save(work / "learned.npy", learned)
    out = work / "dream-in-graph"
    assert (
        run_tool(checkpoint, out, "--projection-file", str(work / "learned.npy"), "--projection-in-graph", "--position-ids") == 0
    )
    manifest = json.loads((out / "encoder.json").read_text(encoding="utf-8"))
    assert manifest["architecture"] == "decoder"
    assert manifest["inputs"]["positionIds"] == "position_ids"
    assert manifest["hiddenSize"] == 8 and manifest["projection"] is None
    assert not (out / "projection.f32").exists()
    ids, mask = padded(encode(out, KOREAN[:2]))
    positions = np.broadcast_to(np.arange(ids.shape[1]), ids.shape).astype(np.int64).copy()
    got = session(out).run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "position_ids": positions})[0]
    expected = run_graph(full, ids, mask) @ learned
    assert got.shape == (2, ids.shape[1], 8)
    real = mask.astype(bool)
    assert np.abs(got[real] - expected[real]).max() <= FP32_TOLERANCE


def test_dream_tokenizer_json_is_built_from_vocab_and_merges_when_absent(work):
    checkpoint = make_dream_checkpoint(work / "Dream-no-tokenizer-json", with_tokenizer_json=False)
    reference = train_tokenizer(["<|endoftext|>", "<|beginoftext|>", "<|mask|>"], bos=None)
    out = work / "dream-built-tokenizer"
    assert run_tool(checkpoint, out, "--no-verify") == 0
    built = tokenizers.Tokenizer.from_file(str(out / "tokenizer.json"))
    for text in KOREAN + ["새로운 문장<|mask|>도 잘 나뉘는가? 2024년"]:
        a, b = built.encode(text), reference.encode(text)
        assert a.ids == b.ids and a.offsets == b.offsets
    assert built.token_to_id("<|mask|>") == reference.token_to_id("<|mask|>")


def test_llada_converted_to_llama_names_exports_when_the_family_is_named(work):
    from transformers import LlamaConfig, LlamaForCausalLM

    folder = work / "llama-layout-llada"
    folder.mkdir()
    tok = train_tokenizer(["<|startoftext|>", "<|endoftext|>", "<|mdm_mask|>"], bos="<|startoftext|>")
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        intermediate_size=MLP,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=HEADS,
        rope_theta=500000.0,
        rms_norm_eps=1e-5,
        max_position_embeddings=256,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    generator = torch.Generator().manual_seed(4)
    for name, param in model.named_parameters():
        randomize(param, generator, 0.15, 1.0 if name.endswith("norm.weight") else 0.0)
    model.save_pretrained(str(folder), safe_serialization=True)
    tok.save(str(folder / "tokenizer.json"))
    out = work / "llama-layout-onnx"
    assert run_tool(folder, out, "--family", "llada", "--no-verify") == 0
    row = encode(out, [KOREAN[3]])[0]
    got = run_graph(out, *padded([row]))[0]
    expected = reference_forward(
        load_weights(folder),
        hf_names,
        row,
        heads=HEADS,
        kv_heads=HEADS,
        theta=500000.0,
        eps=1e-5,
        embed="model.embed_tokens.weight",
        final_norm="model.norm.weight",
    )
    assert np.abs(got - expected).max() <= FP32_TOLERANCE
    manifest = json.loads((out / "encoder.json").read_text(encoding="utf-8"))
    assert manifest["maskToken"] == "<|mdm_mask|>"  # no mask_token_id in config.json: the family's token


def test_missing_tokenizer_is_a_clear_error(work, capsys):
    checkpoint = make_llada_checkpoint(work / "LLaDA-no-tokenizer", with_tokenizer_json=False)
    assert run_tool(checkpoint, work / "llada-fails") == 2
    err = capsys.readouterr().err
    assert "tokenizer.json" in err and "missing" in err and "Traceback" not in err


def test_existing_model_folder_is_not_overwritten_without_force(dream, capsys):
    checkpoint, out = dream
    assert run_tool(checkpoint, out, "--no-verify") == 2
    assert "--force" in capsys.readouterr().err


def test_pytorch_bin_checkpoints_load_like_safetensors(dream, work):
    checkpoint, _ = dream
    folder = work / "Dream-bin"
    shutil.copytree(checkpoint, folder)
    for file in folder.glob("*.safetensors"):
        torch.save(safetensors_torch.load_file(str(file)), folder / "pytorch_model.bin")
        file.unlink()
    config = tool.read_config(folder)
    from_bin = tool.load_backbone(folder, config, "dream", torch.float32).state_dict()
    from_safetensors = tool.load_backbone(checkpoint, config, "dream", torch.float32).state_dict()
    assert from_bin.keys() == from_safetensors.keys()
    assert all(torch.equal(from_bin[k], from_safetensors[k]) for k in from_bin)


def test_float16_overflow_is_detected_in_chunks():
    values = torch.zeros(10_000, dtype=torch.float16)
    assert tool.all_finite(values, chunk=1000)
    values[9_999] = float("inf")  # what a bfloat16 weight beyond 65 504 becomes
    assert not tool.all_finite(values, chunk=1000)


def test_only_pytorchs_2gib_shape_inference_error_is_tolerated(monkeypatch):
    from torch import _C

    def failing(*args, **kwargs):
        raise RuntimeError(args[0])

    monkeypatch.setattr(_C, "_jit_pass_onnx_graph_shape_type_inference", failing, raising=False)
    with tool.best_effort_shape_inference():
        assert _C._jit_pass_onnx_graph_shape_type_inference("The serialized model is larger than the 2GiB limit") is None
        with pytest.raises(RuntimeError, match="other"):
            _C._jit_pass_onnx_graph_shape_type_inference("some other failure")
    assert _C._jit_pass_onnx_graph_shape_type_inference is failing


def test_weights_stream_into_one_data_file_from_per_tensor_files(work):
    """Graphs over 2 GB come out of torch.onnx.export with one file per tensor; the folder gets one."""
    from onnx import helper, numpy_helper

    weight = np.random.default_rng(0).standard_normal((300, 40)).astype(np.float32)
    bias = np.arange(40, dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", 300])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["n", 40])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    source = work / "per-tensor"
    source.mkdir()
    onnx.save_model(
        model, str(source / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0
    )
    assert len(list(source.iterdir())) == 3
    target = work / "one-file"
    target.mkdir()
    size = tool.consolidate_external_data(source / "model.onnx", target / "model.onnx", "model.onnx.data")
    assert sorted(p.name for p in target.iterdir()) == ["model.onnx", "model.onnx.data"]
    assert size == (target / "model.onnx.data").stat().st_size >= weight.nbytes
    x = np.ones((2, 300), dtype=np.float32)
    got = session(target).run(["y"], {"x": x})[0]
    assert np.abs(got - (x @ weight + bias)).max() < 1e-3


def test_fp16_export_stays_close_to_fp32(dream, work):
    checkpoint, full = dream
    try:
        tool.pick_device("cpu", "fp16")
    except tool.ExportError as err:
        pytest.skip(f"this PyTorch cannot trace float16 on CPU: {err}")
    out = work / "dream-fp16"
    assert run_tool(checkpoint, out, "--dtype", "fp16") == 0
    ids, mask = padded(encode(out, KOREAN[:3]))
    half, single = run_graph(out, ids, mask), run_graph(full, ids, mask)
    real = mask.astype(bool)
    cos = (half[real] * single[real]).sum(-1) / (np.linalg.norm(half[real], axis=-1) * np.linalg.norm(single[real], axis=-1))
    print(f"fp16 vs fp32: max |diff| {np.abs(half[real] - single[real]).max():.3e}, min cosine {cos.min():.6f}")
    assert half.dtype == np.float32 and cos.min() > 0.999
    assert (out / "model.onnx.data").stat().st_size < 0.6 * (full / "model.onnx.data").stat().st_size


# ── Saegim's own TypeScript side ──────────────────────────────────────────────────────────────────────

NODE = shutil.which("node")
CLI_BUILT = (REPO / "dist" / "main" / "cli.js").exists()


@pytest.mark.skipif(
    NODE is None or not (REPO / "dist" / "main" / "encoders" / "manifest.js").exists(),
    reason="needs node and the built engine (npm run build) to run main/encoders/manifest.ts",
)
def test_encoder_json_passes_saegims_manifest_schema(exported):
    _, (_, out) = exported
    script = (
        f"import {{ readManifest }} from {json.dumps((REPO / 'dist/main/encoders/manifest.js').as_uri())};"
        f"process.stdout.write(JSON.stringify(readManifest({json.dumps(str(out))})));"
    )
    result = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["hiddenSize"] == HIDDEN and parsed["architecture"] == "bert"


@pytest.mark.skipif(
    NODE is None or not (REPO / "bin" / "saegim").exists() or not CLI_BUILT,
    reason="needs node and a built `bin/saegim` (npm run build) to search through Saegim's TypeScript encoder",
)
def test_saegim_indexes_and_searches_with_the_exported_folder(exported, tmp_path):
    family, (_, out) = exported
    corpus = tmp_path / "tiny.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(KOREAN)), encoding="utf-8"
    )
    env = {**os.environ, "SAEGIM_HOME": str(tmp_path)}
    db = str(tmp_path / "saegim.db")

    def saegim(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [NODE, str(REPO / "bin" / "saegim"), *args, "--db", db], capture_output=True, text=True, env=env, timeout=300
        )
        assert result.returncode == 0, f"saegim {' '.join(args)}: {result.stderr}"
        return result

    saegim("import", str(corpus), "--name", "tiny")
    saegim("index", "tiny", "--model", str(out))
    response = json.loads(saegim("search", "tiny", "세종대왕은 누구인가", "--model", str(out), "--k", "3", "--json").stdout)
    hits = response["results"][0]["hits"]
    print(f"{family}: saegim search → {[h['docId'] for h in hits]}")
    assert response["results"][0]["method"] == "mvr" and not response["results"][0].get("unavailable")
    assert len(hits) == 3 and all(math.isfinite(h["score"]) for h in hits)
