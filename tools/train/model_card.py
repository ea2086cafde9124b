"""Writes MODEL_CARD.md for a model folder from the training.json that train.py leaves there.

    python tools/train/model_card.py assets/models/saegim-dlm-mini-ko
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def card(t: dict, folder: Path) -> str:
    c, pre, ft, ex = t["config"], t["pretraining"], t["finetuning"], t["export"]
    nsmc_row = (
        f"| NSMC movie reviews (e9t/nsmc), first {pre['nsmc_chars'] / 1e6:.1f}M characters | pre-training text | CC0 1.0 |\n"
        if pre.get("nsmc_chars")
        else ""
    )
    size_mb = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6
    return f"""# saegim-dlm-mini-ko

A tiny Korean **masked diffusion language model** used as a bidirectional token encoder, built by
Saegim's own pipeline (`bash tools/train/run.sh`). It follows the recipe of using a diffusion LM
(Dream-7B in the paper) as an encoder: the last hidden layer at denoising step t = 0 (no token masked)
gives one vector per token, and passages are scored with MaxSim,
S(q, d) = Σ_i max_j E_q[i] · E_d[j], over L2-normalised vectors. It is a demo-sized model for running the
app without downloading a large encoder; its retrieval quality is far below Dream-7B's.

## Architecture

Qwen2-style blocks in plain PyTorch: RMSNorm (pre-norm), rotary position embeddings (θ = {c["rope_theta"]:g}),
SwiGLU MLP, biases on the q/k/v projections, **full non-causal attention** (padding mask only).
Embeddings start at unit scale and the blocks' weights at std 0.02 (0.02/√(2·layers) on the residual
outputs), so each token keeps its identity in the residual stream and MaxSim starts as a soft lexical match
that training refines; the tied LM head divides its logits by √hidden.

| | |
| --- | --- |
| hidden size | {c["hidden"]} |
| layers | {c["layers"]} |
| attention heads | {c["heads"]} |
| MLP intermediate size | {c["intermediate"]} |
| vocabulary | {c["vocab_size"]} |
| max length | {c["max_length"]} tokens |
| parameters | {t["parameters"]:,} (LM head tied to the embeddings) |
| folder size | {size_mb:.1f} MB (`model.onnx` {ex["onnx_bytes"] / 1e6:.1f} MB) |

ONNX graph (opset 14): inputs `input_ids`, `attention_mask` (int64, dynamic batch and length), outputs
`last_hidden_state` [batch, length, {c["hidden"]}]: the final hidden layer after the last RMSNorm, not
normalised (the app L2-normalises; `encoder.json` has `normalize: true`); `token_weights` [batch, length],
sigmoid of a linear head on each token's hidden state, the weight of a query token's MaxSim contribution;
`pooled` [batch, {c.get("pooled_dim", c["hidden"])}], the unit-length projection of the {"attention-weighted mean (a learned score per token, softmax)" if c.get("pooling") == "attention" else "mean"} of the hidden states over the tokens
other than `[CLS]`, `[SEP]` and padding, for single-vector retrieval. No projection. `[CLS]`, `[SEP]` and
`[PAD]` vectors are dropped before MaxSim (`dropTokens`). How the engine uses the extra outputs and the
`querySkiplist`, `scoring`, `pooledOutput` and `fusion` fields of `encoder.json`: tools/train/README.md,
"Scoring contract".
onnxruntime vs torch on the reference texts: max abs difference **{ex["onnx_max_abs_diff"]:.2e}**
(tolerance {ex["tolerance"]:g}). `reference.json` holds three Korean texts with their token ids and the
torch last-hidden-state vectors for checking the app's encoder.

## Tokenizer

WordPiece ({c["vocab_size"]} entries) trained with Hugging Face `tokenizers` on the pre-training text:
NFC normaliser (no accent stripping, which would decompose Hangul syllables into jamo), BERT
pre-tokenizer (whitespace and punctuation), `##` continuation prefix, special tokens
`[PAD] [UNK] [CLS] [SEP] [MASK]`, template `[CLS] $A [SEP]`.
`서울은 한국의 수도이다.` → `[CLS] 서울 ##은 한국 ##의 수도 ##이다 . [SEP]`.

## Training

1. **Masked-diffusion pre-training** (LLaDA / Dream objective): per sequence t ~ U(0, 1), each token is
   replaced by `[MASK]` with probability p(t) = 0.95·t + 0.05, the model predicts the masked tokens, and
   the cross-entropy on masked positions is weighted by 1/p(t) (bounded by 20). {pre["texts"]:,} texts
   packed into {pre["windows"]:,} windows of {pre["max_length"]} tokens; batch {pre["batch"]}; AdamW,
   lr {pre.get("learning_rate", 1e-3):g}, warm-up then cosine over {pre["planned_steps"]} steps; **{pre["steps"]} steps** run.
   Loss (weighted, mean of 50 steps): {pre["first_loss"]:.3f} → **{pre["final_loss"]:.3f}**; {pre["seconds"] / 60:.1f} min.
2. **MaxSim contrastive fine-tuning**: InfoNCE with in-batch negatives over MaxSim scores (mean over
   query tokens) of L2-normalised token vectors, temperature {ft["temperature"]}, batch {ft["batch"]}, lr {ft.get("learning_rate", 2e-4):g},
   {ft["pairs"]:,} pairs: StrategyQA-ko question → facts (training 80% only), KorSTS and KLUE-STS pairs with
   score ≥ 4, KLUE-NLI entailment (hypothesis → premise), and inverse-cloze pairs (one sentence → the rest
   of its passage) from the demo passages and Debian documentation. **{ft["steps"]} steps**, warm-up then
   linear decay. Loss (mean of 25 steps): {ft["first_loss"]:.3f} → **{ft["final_loss"]:.3f}**; {ft["seconds"] / 60:.1f} min.

Machine: {t["machine"]} (2 cores, no GPU); seed {t["seed"]}; total {t["total_seconds"] / 60:.1f} min.
{heads(t)}

**Held out:** 20% of `strategyqa-ko-train.jsonl` (a seeded shuffle, `tools/train/data.py`
`heldout_indices()`), never trained on. `python tools/train/train.py --write-heldout DIR` writes it as a
BEIR folder for evaluation.

## Data and licences

| data | use | licence |
| --- | --- | --- |
| KorSTS (kakaobrain/kor-nlu-datasets) | pre-training text, STS pairs | CC BY-SA 4.0 |
| KLUE-STS v1.1 dev, KLUE-NLI v1.1 dev (KLUE-benchmark/KLUE) | pre-training text, STS and entailment pairs | CC BY-SA 4.0 |
| StrategyQA-ko (sionic-ai/Data_StrategyQA), 80% | pre-training text, question → facts pairs | Apache-2.0 |
| Debian `libreoffice-help-ko` (LibreOffice help) | prose, inverse-cloze pairs | MPL-2.0 |
| Debian `gimp-help-ko` (GIMP user manual) | prose, inverse-cloze pairs | GFDL-1.2+ (no invariant sections) |
| Debian `debian-faq-ko` (Debian FAQ, Korean) | prose, inverse-cloze pairs (where installed when training ran) | Debian FAQ permission notice (copies and modified versions under the same notice); GFDL-1.2+ |
{nsmc_row}| KorNLI-XNLI dev (kakaobrain/kor-nlu-datasets) | tuning only: choosing the scoring rule and fusion weight, never trained on | CC BY-SA 4.0 |
| Saegim demo passages (`assets/datasets/demo-ko`, passages only, never queries) | prose, inverse-cloze pairs | project's own |

The data is read at training time and not shipped; the weights are trained on text under share-alike
licences (CC BY-SA 4.0), so this model folder is distributed under CC BY-SA 4.0 with the attributions above.

## Retrieval figures

{figures(folder)}

{variants(folder)}
"""


def heads(t: dict) -> str:
    h = t.get("heads")
    if not h:
        return ""
    f = h["final"]
    history = h.get("history", [f])
    kept = h.get("kept_epochs")
    if kept:
        at = {e["epoch"]: e for e in history}
        mvr, svr = at[kept["token_weights"]], at[kept["pooled"]]
        losses = f"""Each head keeps the epoch with its lowest loss on {h["validation_batches"]} held-back batches:
   weighted MaxSim {mvr["val_mvr"]:.3f} (epoch {mvr["epoch"]}) against plain MaxSim {h["val_loss_plain_maxsim"]:.3f};
   pooled {svr["val_svr"]:.3f} (epoch {svr["epoch"]}; {f["val_svr"]:.3f} after the last)."""
    else:
        best_mvr = min(history, key=lambda e: e["val_mvr"])
        best_svr = min(history, key=lambda e: e["val_svr"])
        losses = f"""Loss on {h["validation_batches"]} held-back batches after the last epoch:
   weighted MaxSim {f["val_mvr"]:.3f} against plain MaxSim {h["val_loss_plain_maxsim"]:.3f} (lowest
   {best_mvr["val_mvr"]:.3f}, epoch {best_mvr["epoch"]}); pooled {f["val_svr"]:.3f} (lowest {best_svr["val_svr"]:.3f}, epoch
   {best_svr["epoch"]}): both heads overfit the cached pairs after a few passes."""
    pooling = "attention-pooled" if h.get("pooling") == "attention" else "mean-pooled"
    distill = (
        f", plus {h['distill']:g} × the KL divergence from plain MaxSim's in-batch ranking (distillation)"
        if h.get("distill")
        else ""
    )
    return f"""
3. **Retrieval heads on the frozen encoder** (`tools/train/heads.py`, on top of `{h["base"]}`, whose weights
   are kept bit for bit): the hidden states of {h["pairs"]:,} fine-tuning pairs (never the tuning slice, the
   held-out rows or any demo query) are cached once; then {h["epochs"]} epochs over fixed batches of {h["batch"]}
   train (a) the token-weight head with InfoNCE over the weighted MaxSim Σ_i w_i · max_j q_i·d_j / Σ_i w_i,
   and (b) the pooled head with its own in-batch InfoNCE on {pooling} vectors{distill} (temperature {h["temperature"]},
   AdamW lr {h["learning_rate"]:g}). {losses} Mean query token weight
   {f["mean_weight"]:.2f}. {h["seconds"] / 60:.1f} min.
"""


def variants(folder: Path) -> str:
    path = folder / "pyeval.json"
    if not path.exists():
        return ""
    ev = json.loads(path.read_text())
    names = [k for k in ev["runs"][0]["ndcg@10"]]
    lines = [
        "### Scoring variants (numpy, `tools/train/pyeval.py`)",
        "",
        "The same token vectors scored in numpy by every rule tried, the engine's and the ones not kept, with BM25",
        "from the app's own `saegim eval --methods bm25` in the same run; nDCG@10 (linear gain, trec_eval tie order).",
        f"`mvr:plain` and `{ev['chosen_variant']}` are the app's `MVR plain` and `MVR` above. The variant (mean of the first two columns) and the fusion weight (their queries",
        f"pooled) are chosen on the tuning sets only, a slice of StrategyQA-ko training rows and KorNLI-XNLI dev: chosen **{ev['chosen_variant']}**, fusion w(MVR) = **{ev['fusion']['mvr_weight']:g}**",
        "(min-max normalised weighted sum over each list's top 100, grid step 0.05).",
        "",
        "| scoring | " + " | ".join(r["label"] for r in ev["runs"]) + " |",
        "| --- | " + " | ".join("---" for _ in ev["runs"]) + " |",
    ]
    for k in names:
        lines.append(f"| {k} | " + " | ".join(f"{r['ndcg@10'][k]:.3f}" for r in ev["runs"]) + " |")
    return "\n".join(lines)


def query_rule(folder: Path) -> str:
    """How the engine scores query tokens with this folder, from its encoder.json."""
    enc = json.loads((folder / "encoder.json").read_text())
    weights = (enc.get("scoring") or {}).get("queryTokenWeights")
    skiplist = enc.get("querySkiplist") or []
    rules = []
    if weights:
        rules.append(f"each query token's contribution weighted by the `{weights}` output")
    if skiplist:
        rules.append(f"the query skiplist (`querySkiplist`, {len(skiplist)} tokens)")
    return "with " + " and ".join(rules) if rules else "over every query token"


def figures(folder: Path) -> str:
    path = folder / "evaluation.json"
    if not path.exists():
        return "Not measured yet: run `python tools/train/evaluate.py <folder>`."
    ev = json.loads(path.read_text())
    lines = [
        f"Measured with `saegim eval --json` through the app (`tools/train/evaluate.py`), {ev['date']}, {ev['machine']}.",
        "nDCG@10 / Hit@10 / MRR@10, as the engine scores with this folder by default: MVR is MaxSim over this model's",
        f"token vectors {query_rule(folder)}, SVR the cosine of the `pooled` output, hybrid the",
        "weighted sum recorded in `fusion` (BM25 over Hangul character bigrams). `MVR plain` is MaxSim over every query",
        "token (`--query-scoring plain`) and `RRF plain` the reciprocal-rank fusion of it with BM25 (`--fusion rrf`),",
        "in the same database.",
        "",
        "| queries | n | MVR | MVR plain | BM25 | SVR | hybrid | RRF plain |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in ev["runs"]:
        cells = []
        for m in ["mvr", "mvr:plain", "bm25", "svr", "hybrid", "hybrid:rrf+plain"]:
            v = run["methods"].get(m)
            cells.append(f"{v['ndcg@10']:.3f} / {v['hit@10']:.3f} / {v['mrr@10']:.3f}" if v else "–")
        lines.append(f"| {run['label']} | {run['queries']} | " + " | ".join(cells) + " |")
    by_split = {run["split"]: run for run in ev["runs"]}
    checks = []
    if "paraphrase" in by_split:
        m = by_split["paraphrase"]["methods"]
        checks.append(("MVR ≥ BM25 on the paraphrased demo queries", m["mvr"]["ndcg@10"], m["bm25"]["ndcg@10"], "MVR", 0.0))
        checks.append(("MVR ≥ 0.90 on the paraphrased demo queries", m["mvr"]["ndcg@10"], 0.90, "MVR", 0.0))
    for run in ev["runs"]:
        m = run["methods"]
        if "hybrid" in m:
            checks.append((f"hybrid ≥ BM25 on {run['label']}", m["hybrid"]["ndcg@10"], m["bm25"]["ndcg@10"], "hybrid", 0.0))
    heldout = next((r for r in ev["runs"] if "held-out" in r["label"]), None)
    if heldout:
        m = heldout["methods"]
        checks.append(("hybrid > BM25 on the held-out StrategyQA-ko split", m["hybrid"]["ndcg@10"], m["bm25"]["ndcg@10"] + 1e-9, "hybrid", 0.0))
        checks.append(("MVR within 0.02 of BM25 on the held-out StrategyQA-ko split", m["mvr"]["ndcg@10"], m["bm25"]["ndcg@10"], "MVR", 0.02))
    demo = next((r for r in ev["runs"] if r["label"].startswith("demo-ko, all")), None)
    if demo and "svr" in demo["methods"]:
        checks.append(("SVR ≥ 0.6 on all demo queries", demo["methods"]["svr"]["ndcg@10"], 0.6, "SVR", 0.0))
    if checks:
        lines += ["", "Targets (nDCG@10):", ""]
        for text, ours, bar, name, slack in checks:
            verdict = "met" if ours >= bar - slack else "**missed**"
            lines.append(f"- {text}: {verdict} ({name} {ours:.3f} against {bar:.3f}).")
    return "\n".join(lines)


def main() -> None:
    folder = Path(sys.argv[1])
    t = json.loads((folder / "training.json").read_text())
    (folder / "MODEL_CARD.md").write_text(card(t, folder))
    print(f"wrote {folder / 'MODEL_CARD.md'}")


if __name__ == "__main__":
    main()
