"""tools/export_late_interaction_onnx.py on tiny random late-interaction checkpoints of each family.

Every checkpoint is built from transformers' own classes (BertModel, XLMRobertaModel; ModernBertModel where
the installed transformers has it) with random weights and a tokenizer trained here on Korean sentences,
and written in its library's on-disk layout: PyLate (sentence-transformers folder with `1_Dense`), Stanford
ColBERT (`HF_ColBERT` config, `bert.*` tensors + `linear.weight`, artifact.metadata) and BGE-M3 (XLM-R +
colbert_linear.pt + sparse_linear.pt). Saegim's own TypeScript encoder (dist/, run with node) is checked
against PyTorch token by token, and — where pylate and FlagEmbedding are installed — against the libraries'
own encode and MaxSim scoring.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason="numpy is not installed (pip install -r tools/requirements-export.txt)")
torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install -r tools/requirements-export.txt)")
transformers = pytest.importorskip("transformers", reason="transformers is not installed (pip install -r tools/requirements-export.txt)")
pytest.importorskip("onnx", reason="onnx is not installed (pip install -r tools/requirements-export.txt)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -r tools/requirements-export.txt)")
tokenizers = pytest.importorskip("tokenizers", reason="tokenizers is not installed (pip install -r tools/requirements-export.txt)")
pytest.importorskip("safetensors", reason="safetensors is not installed (pip install -r tools/requirements-export.txt)")

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS))
import export_late_interaction_onnx as tool  # noqa: E402

MIN_COSINE = 0.9999
HIDDEN = 32
DIM = 16
QUERY_LENGTH = 12
DOCUMENT_LENGTH = 40

KOREAN = [
    "서울은 대한민국의 수도이다.",
    "훈민정음은 1443년에 세종대왕이 만들었다.",
    "광합성이란 식물이 빛을 이용해 양분을 만드는 과정이다.",
    "부산은 한국에서 두 번째로 큰 도시이다!",
    "김치는 배추와 고춧가루로 담근다; 발효 음식이다.",
    "한강은 서울을 가로질러 흐른다, 그리고 서해로 간다.",
    "세종대왕은 조선의 네 번째 임금이다?",
    "독도는 동해에 있는 섬이다 (경상북도).",
]
QUERIES = ["세종대왕은 누구인가?", "한강은 어디로 흐르나", "김치는 무엇으로 만드나요?"]
DOCUMENTS = [KOREAN[1], KOREAN[5], KOREAN[4], "  서울, 부산: 두 도시의 이야기!  "]


# ── tokenizers ────────────────────────────────────────────────────────────────────────────────────────


def bert_tokenizer(extra_tokens: list[str] = ()):
    """A Korean WordPiece with BERT's special tokens and [unused0]/[unused1] (Stanford ColBERT's markers)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertTokenizerFast

    specials = ["[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)]
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=list(string.punctuation), show_progress=False
    )
    tok.train_from_iterator(KOREAN * 3, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]"
    )
    if extra_tokens:
        fast.add_tokens(list(extra_tokens))
    return fast


def xlmr_tokenizer(extra_tokens: list[str] = ()):
    """A Korean Unigram with Metaspace pre-tokenisation and XLM-R's special tokens (<s>=0, <pad>=1, </s>=2)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import XLMRobertaTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=300,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        initial_alphabet=list(string.punctuation),
        show_progress=False,
    )
    tok.train_from_iterator(KOREAN * 3, trainer)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    fast = XLMRobertaTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
    )
    if extra_tokens:
        fast.add_tokens(list(extra_tokens))
    return fast


# ── encoders ──────────────────────────────────────────────────────────────────────────────────────────


def randomize(model, seed: int) -> None:
    """Weights larger than the default initialisation, so every layer visibly changes the vectors."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            around = 1.0 if "LayerNorm.weight" in name or name.endswith("norm.weight") else 0.0
            param.copy_(around + 0.2 * torch.randn(param.shape, generator=generator))


def bert_encoder(vocab_size: int, seed: int):
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=0,
    )
    torch.manual_seed(seed)
    model = BertModel(config)
    randomize(model, seed)
    return model


def xlmr_encoder(vocab_size: int, seed: int):
    from transformers import XLMRobertaConfig, XLMRobertaModel

    config = XLMRobertaConfig(
        vocab_size=vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=66,
        type_vocab_size=1,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(seed)
    model = XLMRobertaModel(config)
    randomize(model, seed)
    return model


def projection(out_features: int, in_features: int, seed: int, bias: bool):
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(out_features, in_features, generator=generator) / math.sqrt(in_features)
    return weight, (0.1 * torch.randn(out_features, generator=generator) if bias else None)


# ── checkpoints in each library's layout ──────────────────────────────────────────────────────────────


def make_pylate(folder: Path, backbone: str = "bert", seed: int = 0) -> Path:
    """What pylate.models.ColBERT.save writes: the encoder at the root, a Dense module in 1_Dense, the
    recipe in config_sentence_transformers.json, [Q] / [D] as added tokens with embedding rows."""
    from safetensors.torch import save_file

    tok = (bert_tokenizer if backbone == "bert" else xlmr_tokenizer)(["[Q] ", "[D] "])
    model = (bert_encoder if backbone == "bert" else xlmr_encoder)(len(tok), seed)
    model.save_pretrained(str(folder), safe_serialization=True)
    tok.save_pretrained(str(folder))
    weight, _ = projection(DIM, HIDDEN, seed + 1, bias=False)
    (folder / "1_Dense").mkdir()
    save_file({"linear.weight": weight.contiguous()}, str(folder / "1_Dense" / "model.safetensors"))
    (folder / "1_Dense" / "config.json").write_text(
        json.dumps({"in_features": HIDDEN, "out_features": DIM, "bias": False, "activation_function": "torch.nn.modules.linear.Identity"}),
        encoding="utf-8",
    )
    (folder / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Dense", "type": "pylate.models.Dense.Dense"},
            ]
        ),
        encoding="utf-8",
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": DOCUMENT_LENGTH - 1, "do_lower_case": False}), encoding="utf-8")
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps(
            {
                "query_prefix": "[Q] ",
                "document_prefix": "[D] ",
                "query_length": QUERY_LENGTH,
                "document_length": DOCUMENT_LENGTH,
                "attend_to_expansion_tokens": False,
                "skiplist_words": list(string.punctuation),
            }
        ),
        encoding="utf-8",
    )
    return folder


def make_colbert(folder: Path, seed: int = 10) -> Path:
    """Stanford ColBERT: HF_ColBERT's state dict (`bert.*` + `linear.weight`) and artifact.metadata."""
    from safetensors.torch import save_file

    tok = bert_tokenizer()
    model = bert_encoder(len(tok), seed)
    model.save_pretrained(str(folder), safe_serialization=True)
    tok.save_pretrained(str(folder))
    weights = {f"bert.{k}": v.contiguous() for k, v in model.state_dict().items() if not k.startswith("pooler.")}
    weights["linear.weight"] = projection(DIM, HIDDEN, seed + 1, bias=False)[0].contiguous()
    (folder / "model.safetensors").unlink()
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["architectures"] = ["HF_ColBERT"]
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (folder / "artifact.metadata").write_text(
        json.dumps(
            {
                "query_token_id": "[unused0]",
                "doc_token_id": "[unused1]",
                "query_maxlen": QUERY_LENGTH,
                "doc_maxlen": DOCUMENT_LENGTH,
                "dim": DIM,
                "similarity": "cosine",
                "attend_to_mask_tokens": False,
                "mask_punctuation": True,
                "checkpoint": "bert-base-uncased",
            }
        ),
        encoding="utf-8",
    )
    return folder


def make_bge_m3(folder: Path, seed: int = 20) -> Path:
    """BGE-M3: an XLM-R folder plus FlagEmbedding's colbert_linear.pt (hidden → hidden, with bias) and sparse_linear.pt."""
    tok = xlmr_tokenizer()
    model = xlmr_encoder(len(tok), seed)
    model.save_pretrained(str(folder), safe_serialization=True)
    tok.save_pretrained(str(folder))
    weight, bias = projection(HIDDEN, HIDDEN, seed + 1, bias=True)
    torch.save({"weight": weight, "bias": bias}, folder / "colbert_linear.pt")
    sparse_weight, sparse_bias = projection(1, HIDDEN, seed + 2, bias=True)
    torch.save({"weight": sparse_weight, "bias": sparse_bias}, folder / "sparse_linear.pt")
    return folder


# ── PyTorch reference, each library's recipe written out ──────────────────────────────────────────────


def torch_reference(family: str, checkpoint: Path, texts: list[str], kind: str):
    """(kept token ids, normalised vectors) per text, from transformers' model and tokenizer following
    pylate.models.ColBERT.encode, colbert's ColBERT.query/doc and FlagEmbedding's BGEM3FlagModel.encode."""
    from transformers import AutoModel, AutoTokenizer

    query = kind == "query"
    tok = AutoTokenizer.from_pretrained(str(checkpoint))
    model = AutoModel.from_pretrained(str(checkpoint), attn_implementation="eager").eval()
    if family == "pylate":
        from safetensors.torch import load_file

        weight, bias = load_file(str(checkpoint / "1_Dense" / "model.safetensors"))["linear.weight"], None
        marker = tok.convert_tokens_to_ids("[Q] " if query else "[D] ")
        length = QUERY_LENGTH if query else DOCUMENT_LENGTH
        skip = {tok.convert_tokens_to_ids(w) for w in string.punctuation}
    elif family == "colbert":
        from safetensors.torch import load_file

        weight, bias = load_file(str(checkpoint / "model.safetensors"))["linear.weight"], None
        marker = tok.convert_tokens_to_ids("[unused0]" if query else "[unused1]")
        length = QUERY_LENGTH if query else DOCUMENT_LENGTH
        skip = {tok.encode(s, add_special_tokens=False)[0] for s in string.punctuation} | {tok.pad_token_id}
    else:
        state = torch.load(checkpoint / "colbert_linear.pt")
        weight, bias = state["weight"], state["bias"]
        marker, length, skip = None, 64, set()
    out = []
    for text in texts:
        body = text.strip() if family == "pylate" else text
        if marker is None:
            enc = tok(body, truncation=True, max_length=length)
            ids, attention = enc["input_ids"], enc["attention_mask"]
        else:
            enc = tok(body, truncation=True, max_length=length - 1, padding="max_length" if query else False)
            ids = enc["input_ids"][:1] + [marker] + enc["input_ids"][1:]
            attention = [1] + enc["attention_mask"]
            if query:
                ids = [tok.mask_token_id if i == tok.pad_token_id else i for i in ids]
        with torch.no_grad():
            hidden = model(input_ids=torch.tensor([ids]), attention_mask=torch.tensor([attention])).last_hidden_state[0]
            vectors = hidden @ weight.T + (bias if bias is not None else 0)
        if family == "bge-m3":
            keep = list(range(1, len(ids)))
        elif query:
            keep = list(range(len(ids)))
        else:
            keep = [j for j, i in enumerate(ids) if i not in skip]
        out.append(([ids[j] for j in keep], torch.nn.functional.normalize(vectors[keep], dim=-1).numpy()))
    return out


# ── Saegim's TypeScript encoder ───────────────────────────────────────────────────────────────────────

NODE = shutil.which("node")
DIST_ENCODER = REPO / "dist" / "main" / "encoders" / "onnx-encoder.js"
needs_engine = pytest.mark.skipif(
    NODE is None or not DIST_ENCODER.exists(),
    reason="needs node and the built engine (npm run build) to run main/encoders/onnx-encoder.ts",
)


def saegim_encode(folder: Path, queries: list[str], documents: list[str], work: Path) -> dict:
    """Encodes through Saegim's own TokenEncoder (tokenizer.json → markers/augmentation → onnxruntime-node)."""
    assert "queryMarker" in DIST_ENCODER.read_text(encoding="utf-8"), "dist/ predates the late-interaction fields: run npm run build"
    inputs = work / f"{folder.name}-inputs.json"
    inputs.write_text(json.dumps({"queries": queries, "documents": documents}, ensure_ascii=False), encoding="utf-8")
    script = (
        f"import {{ readFileSync }} from 'node:fs';"
        f"import {{ TokenEncoder }} from {json.dumps(DIST_ENCODER.as_uri())};"
        f"const input = JSON.parse(readFileSync({json.dumps(str(inputs))}, 'utf8'));"
        f"const encoder = await TokenEncoder.load({json.dumps(str(folder))});"
        "const pack = (e) => ({ ids: e.ids, tokens: e.tokens, roles: e.roles ?? null, offsets: e.offsets, dim: e.vectors.dim, vectors: Array.from(e.vectors.data) });"
        "const out = { queries: (await encoder.encodeQueries(input.queries)).map(pack), documents: (await encoder.encodeDocuments(input.documents)).map(pack) };"
        "await encoder.close();"
        "process.stdout.write(JSON.stringify(out));"
    )
    result = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for side in out.values():
        for e in side:
            e["vectors"] = np.asarray(e["vectors"], dtype=np.float32).reshape(-1, e["dim"])
    return out


def maxsim(q, d) -> float:
    return float((q @ d.T).max(axis=1).sum())


def cosines(a, b):
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


# ── fixtures ──────────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("late-interaction")


CHECKPOINTS = {
    "pylate-bert": ("pylate", lambda f: make_pylate(f, "bert")),
    "pylate-xlmr": ("pylate", lambda f: make_pylate(f, "xlmr", seed=5)),
    "colbert-bert": ("colbert", make_colbert),
    "bge-m3-xlmr": ("bge-m3", make_bge_m3),
}


@pytest.fixture(scope="module")
def exports(work):
    """name → (family, checkpoint, exported folder), built once for the module."""
    built = {}
    for name, (family, make) in CHECKPOINTS.items():
        checkpoint = make(work / name)
        out = work / f"{name}-onnx"
        extra = ["--max-length", "64"] if family == "bge-m3" else []
        assert tool.main([str(checkpoint), str(out), "--device", "cpu", *extra]) == 0
        built[name] = (family, checkpoint, out)
    return built


@pytest.fixture(params=list(CHECKPOINTS))
def exported(request, exports):
    return request.param, exports[request.param]


# ── tests ─────────────────────────────────────────────────────────────────────────────────────────────


def test_family_is_detected_from_each_librarys_files(exports):
    assert {name: tool.detect_family(checkpoint) for name, (_, checkpoint, _) in exports.items()} == {
        "pylate-bert": "pylate",
        "pylate-xlmr": "pylate",
        "colbert-bert": "colbert",
        "bge-m3-xlmr": "bge-m3",
    }


def test_export_report_records_onnx_against_pytorch(exported):
    name, (family, _, out) = exported
    report = json.loads((out / "export-report.json").read_text(encoding="utf-8"))
    numbers = report["verification"]
    print(f"{name}: {numbers}")
    assert report["family"] == family
    assert numbers["all_finite"] and numbers["library_pipeline_same_tokens"]
    assert numbers["max_abs_diff"] < 1e-4 and numbers["padding_max_abs_diff"] < 1e-4
    assert numbers["min_token_cosine"] >= MIN_COSINE and numbers["library_pipeline_min_token_cosine"] >= MIN_COSINE


def test_manifests_carry_each_recipe(exports):
    pylate = json.loads((exports["pylate-bert"][2] / "encoder.json").read_text(encoding="utf-8"))
    assert pylate["queryMarker"] == "[Q] " and pylate["documentMarker"] == "[D] " and pylate["markerPosition"] == 1
    assert pylate["queryAugmentLength"] == QUERY_LENGTH == pylate["queryMaxLength"]
    assert pylate["queryAugmentAttended"] is False and pylate["maskToken"] == "[MASK]"
    assert pylate["maxLength"] == DOCUMENT_LENGTH and pylate["hiddenSize"] == DIM
    assert pylate["dropTokens"] == [] and pylate["stripText"] is True
    assert {".", ",", "!", "?", "(", ")"} <= set(pylate["documentSkiplist"])

    colbert = json.loads((exports["colbert-bert"][2] / "encoder.json").read_text(encoding="utf-8"))
    assert colbert["queryMarker"] == "[unused0]" and colbert["documentMarker"] == "[unused1]"
    assert colbert["queryAugmentLength"] == QUERY_LENGTH and colbert["queryAugmentAttended"] is False
    assert "[PAD]" in colbert["documentSkiplist"] and "." in colbert["documentSkiplist"]
    assert colbert["stripText"] is False

    bge = json.loads((exports["bge-m3-xlmr"][2] / "encoder.json").read_text(encoding="utf-8"))
    assert bge["queryMarker"] is None and bge["documentMarker"] is None and bge["queryAugmentLength"] == 0
    assert bge["dropTokens"] == ["<s>"] and bge["documentSkiplist"] == [] and bge["hiddenSize"] == HIDDEN
    assert bge["padTokenId"] == 1  # XLM-R derives positions from the pad id


@needs_engine
def test_saegims_encoder_reproduces_pytorchs_token_vectors(exported, work):
    """The app's path (tokenizer.json + encoder.json + onnxruntime-node) against PyTorch, every kept token."""
    name, (family, checkpoint, out) = exported
    got = saegim_encode(out, QUERIES, DOCUMENTS, work)
    worst = 1.0
    for kind, texts in (("query", QUERIES), ("document", DOCUMENTS)):
        expected = torch_reference(family, checkpoint, texts, kind)
        for e, (ids, vectors) in zip(got["queries" if kind == "query" else "documents"], expected):
            assert e["ids"] == ids, f"{name} {kind}: Saegim keeps {e['tokens']}"
            worst = min(worst, float(cosines(e["vectors"], vectors).min()))
    print(f"{name}: Saegim's encoder vs PyTorch, min token cosine {worst:.7f}")
    assert worst >= MIN_COSINE


@needs_engine
def test_saegim_labels_markers_augmentation_and_special_tokens(exports, work):
    _, _, out = exports["colbert-bert"]
    got = saegim_encode(out, QUERIES[:1], DOCUMENTS[:1], work)
    q, d = got["queries"][0], got["documents"][0]
    assert len(q["ids"]) == QUERY_LENGTH
    assert q["tokens"][:2] == ["[CLS]", "[unused0]"] and q["roles"][:2] == ["special", "marker"]
    sep = q["tokens"].index("[SEP]")
    assert q["roles"][sep] == "special" and set(q["roles"][2:sep]) == {"text"}
    assert q["roles"][sep + 1 :] == ["augment"] * (QUERY_LENGTH - sep - 1)
    assert d["tokens"][:2] == ["[CLS]", "[unused1]"] and d["tokens"][-1] == "[SEP]"
    assert "." not in d["tokens"]  # the skiplist
    _, _, bge = exports["bge-m3-xlmr"]
    b = saegim_encode(bge, QUERIES[:1], DOCUMENTS[:1], work)["documents"][0]
    assert b["tokens"][-1] == "</s>" and b["roles"][-1] == "special" and "<s>" not in b["tokens"]


@needs_engine
def test_stripped_text_keeps_offsets_into_the_original(exports, work):
    _, _, out = exports["pylate-bert"]
    text = DOCUMENTS[3]
    d = saegim_encode(out, [], [text], work)["documents"][0]
    spans = [text[s:e] for (s, e), role in zip(d["offsets"], d["roles"]) if role == "text"]
    assert "".join(spans) == "".join(text.split()).replace(",", "").replace(":", "").replace("!", "")


def test_query_and_passage_limits_hold_with_the_marker(exports):
    _, _, out = exports["colbert-bert"]
    manifest = json.loads((out / "encoder.json").read_text(encoding="utf-8"))
    long = " ".join(KOREAN)
    (q_ids, _, _), = tool.saegim_inputs(out / "tokenizer.json", manifest, [long], "query")
    (d_ids, _, _), = tool.saegim_inputs(out / "tokenizer.json", manifest, [long], "document")
    assert len(q_ids) == QUERY_LENGTH and len(d_ids) == DOCUMENT_LENGTH
    expected = torch_reference("colbert", exports["colbert-bert"][1], [long], "query")[0][0]
    assert q_ids == expected  # queries keep every token, so the reference's ids are the whole sequence


# ── the libraries themselves ──────────────────────────────────────────────────────────────────────────


def library_or_skip(module: str):
    try:
        return __import__(module)
    except Exception as err:  # an install that imports half-way is as unusable as none
        pytest.skip(f"{module} is not importable here ({type(err).__name__}: {err}); pinned in tools/requirements-export.txt")


def compare_scores(name: str, saegim: dict, queries, documents, score) -> None:
    worst = 0.0
    for qi, q in enumerate(saegim["queries"]):
        for di, d in enumerate(saegim["documents"]):
            ours, theirs = maxsim(q["vectors"], d["vectors"]), score(qi, di)
            worst = max(worst, abs(ours - theirs) / max(1.0, abs(theirs)))
    print(f"{name}: MaxSim, Saegim vs the library, max relative difference {worst:.2e}")
    assert worst < 1e-4


@needs_engine
@pytest.mark.parametrize("name", ["pylate-bert", "pylate-xlmr", "colbert-bert"])
def test_maxsim_matches_pylate_encode_and_colbert_scores(name, exports, work):
    library_or_skip("pylate")
    from pylate import models, scores

    family, checkpoint, out = exports[name]
    if family == "colbert":
        # PyLate reads Stanford weights through Dense.from_stanford_weights; handed the file itself because
        # some PyLate versions open a local folder's path as if it were the file.
        from sentence_transformers.models import Transformer

        modules = [Transformer(str(checkpoint)), models.Dense.from_stanford_weights(str(checkpoint / "model.safetensors"))]
        model = models.ColBERT(
            modules=modules,
            device="cpu",
            query_prefix="[unused0]",
            document_prefix="[unused1]",
            query_length=QUERY_LENGTH,
            document_length=DOCUMENT_LENGTH,
        )
    else:
        model = models.ColBERT(model_name_or_path=str(checkpoint), device="cpu")
    q = model.encode(QUERIES, is_query=True)
    d = model.encode(DOCUMENTS, is_query=False)
    saegim = saegim_encode(out, QUERIES, DOCUMENTS, work)
    for ours, theirs in zip(saegim["queries"] + saegim["documents"], list(q) + list(d)):
        assert ours["vectors"].shape == theirs.shape
        assert cosines(ours["vectors"], theirs).min() >= MIN_COSINE
    compare_scores(
        name,
        saegim,
        QUERIES,
        DOCUMENTS,
        lambda qi, di: float(scores.colbert_scores(torch.from_numpy(q[qi])[None], torch.from_numpy(d[di])[None])[0, 0]),
    )


@needs_engine
def test_maxsim_matches_flagembedding_bge_m3(exports, work):
    library_or_skip("FlagEmbedding")
    from FlagEmbedding import BGEM3FlagModel

    _, checkpoint, out = exports["bge-m3-xlmr"]
    model = BGEM3FlagModel(str(checkpoint), use_fp16=False, device="cpu")
    q = model.encode(QUERIES, return_dense=False, return_colbert_vecs=True, max_length=64)["colbert_vecs"]
    d = model.encode(DOCUMENTS, return_dense=False, return_colbert_vecs=True, max_length=64)["colbert_vecs"]
    saegim = saegim_encode(out, QUERIES, DOCUMENTS, work)
    for ours, theirs in zip(saegim["queries"] + saegim["documents"], list(q) + list(d)):
        assert ours["vectors"].shape == theirs.shape
        assert cosines(ours["vectors"], theirs).min() >= MIN_COSINE
    # colbert_score averages over query tokens; Saegim's MaxSim is the sum.
    compare_scores("bge-m3-xlmr", saegim, QUERIES, DOCUMENTS, lambda qi, di: float(model.colbert_score(q[qi], d[di])) * len(q[qi]))


# ── more families and precisions ──────────────────────────────────────────────────────────────────────


def test_modernbert_pylate_checkpoint(work):
    if not hasattr(transformers, "ModernBertModel"):
        pytest.skip(f"transformers {transformers.__version__} has no ModernBertModel (added in 4.48)")
    from transformers import ModernBertConfig, ModernBertModel

    folder = work / "pylate-modernbert"
    make_pylate(folder, "bert", seed=30)
    tok_len = json.loads((folder / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    config = ModernBertConfig(
        vocab_size=tok_len,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        pad_token_id=0,
        cls_token_id=4,
        sep_token_id=5,
        global_attn_every_n_layers=2,
        local_attention=16,
    )
    torch.manual_seed(30)
    model = ModernBertModel(config)
    randomize(model, 30)
    for file in folder.glob("model*.safetensors"):
        file.unlink()
    model.save_pretrained(str(folder), safe_serialization=True)
    out = work / "pylate-modernbert-onnx"
    assert tool.main([str(folder), str(out), "--device", "cpu"]) == 0
    numbers = json.loads((out / "export-report.json").read_text(encoding="utf-8"))["verification"]
    print(f"pylate-modernbert: {numbers}")
    assert numbers["min_token_cosine"] >= MIN_COSINE and numbers["library_pipeline_min_token_cosine"] >= MIN_COSINE


def test_fp16_export(exports, work):
    try:
        tool.dlm.pick_device("cpu", "fp16")
    except tool.ExportError as err:
        pytest.skip(f"this PyTorch cannot trace float16 on CPU: {err}")
    _, checkpoint, _ = exports["colbert-bert"]
    out = work / "colbert-fp16"
    assert tool.main([str(checkpoint), str(out), "--device", "cpu", "--dtype", "fp16"]) == 0
    numbers = json.loads((out / "export-report.json").read_text(encoding="utf-8"))["verification"]
    print(f"colbert-bert fp16: {numbers}")
    assert numbers["min_token_cosine"] >= 0.999


# ── refusals ──────────────────────────────────────────────────────────────────────────────────────────


def test_a_pylate_prefix_missing_from_the_tokenizer_is_refused(exports, work, capsys):
    _, checkpoint, _ = exports["pylate-bert"]
    folder = work / "pylate-unknown-prefix"
    shutil.copytree(checkpoint, folder)
    path = folder / "config_sentence_transformers.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**config, "query_prefix": "[QUERY] "}), encoding="utf-8")
    assert tool.main([str(folder), str(work / "unknown-prefix-onnx"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "query_prefix" in err and "[QUERY] " in err and "Traceback" not in err


def test_l2_colbert_and_unknown_folders_are_refused(exports, work, capsys):
    _, checkpoint, _ = exports["colbert-bert"]
    folder = work / "colbert-l2"
    shutil.copytree(checkpoint, folder)
    meta = json.loads((folder / "artifact.metadata").read_text(encoding="utf-8"))
    (folder / "artifact.metadata").write_text(json.dumps({**meta, "similarity": "l2"}), encoding="utf-8")
    assert tool.main([str(folder), str(work / "l2-onnx"), "--device", "cpu"]) == 2
    assert "similarity" in capsys.readouterr().err
    plain = work / "plain-folder"
    plain.mkdir()
    (plain / "config.json").write_text(json.dumps({"model_type": "bert"}), encoding="utf-8")
    with pytest.raises(tool.ExportError, match="--family"):
        tool.detect_family(plain)


def test_existing_model_folder_is_not_overwritten_without_force(exports, capsys):
    _, checkpoint, out = exports["bge-m3-xlmr"]
    assert tool.main([str(checkpoint), str(out), "--device", "cpu", "--no-verify"]) == 2
    assert "--force" in capsys.readouterr().err


@pytest.mark.skipif(
    NODE is None or not (REPO / "bin" / "saegim").exists() or not (REPO / "dist" / "main" / "cli.js").exists(),
    reason="needs node and a built `bin/saegim` (npm run build) to index and search through Saegim",
)
def test_saegim_indexes_and_searches_with_an_exported_colbert(exports, tmp_path):
    _, _, out = exports["colbert-bert"]
    corpus = tmp_path / "tiny.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(KOREAN)), encoding="utf-8")
    env = {**os.environ, "SAEGIM_HOME": str(tmp_path)}
    db = str(tmp_path / "saegim.db")

    def saegim(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([NODE, str(REPO / "bin" / "saegim"), *args, "--db", db], capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, f"saegim {' '.join(args)}: {result.stderr}"
        return result

    saegim("import", str(corpus), "--name", "tiny")
    saegim("index", "tiny", "--model", str(out))
    response = json.loads(saegim("search", "tiny", "세종대왕은 누구인가", "--model", str(out), "--k", "3", "--json").stdout)
    hits = response["results"][0]["hits"]
    assert response["results"][0]["method"] == "mvr" and len(hits) == 3 and all(math.isfinite(h["score"]) for h in hits)
