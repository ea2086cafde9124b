"""Retrieval heads on a frozen encoder: the query token-weight head and the pooled single-vector head,
trained on cached hidden states of the fine-tuning pairs, then exported with the encoder as one model.onnx
(outputs last_hidden_state, token_weights, pooled).

    python tools/train/heads.py --base assets/models/saegim-dlm-mini-ko --out /tmp/model

The encoder is not changed, so its token vectors, MaxSim and everything the engine already computes stay
exactly as they were; only the two heads learn. With the encoder frozen each pass over the pairs is a few
matrix products on cached features, which a 2-core CPU does in seconds instead of the hours end-to-end
training of the heads would take.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import platform
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer

from data import retrieval_pairs
from export import export_model_folder
from model import DiffusionEncoder, EncoderConfig, load_onnx_weights
from train import content_mask, log, mean, pad, pooled_infonce

QUERY_LEN = 48
DOC_LEN = 128


def cache_hidden(session, hidden_size: int, tok, texts: list[str], limit: int, specials: list[int], batch: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """[n, limit, hidden] last hidden states (zero past each text's end) and the [n, limit] content mask,
    from the base folder's model.onnx run by onnxruntime — its `last_hidden_state` is the frozen encoder's
    output, and onnxruntime computes it several times faster than torch on a CPU. Texts go in batches of
    similar length so that little of each batch is padding."""
    tok.enable_truncation(limit)
    encs = [e.ids for e in tok.encode_batch(texts)]
    hidden = torch.zeros(len(texts), limit, hidden_size)
    keep = torch.zeros(len(texts), limit)
    order = sorted(range(len(texts)), key=lambda i: len(encs[i]))
    for k in range(0, len(order), batch):
        rows = order[k : k + batch]
        ids, mask = pad([encs[i] for i in rows])
        (h,) = session.run(["last_hidden_state"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
        n = ids.shape[1]
        hidden[rows, :n] = torch.from_numpy(h) * mask[:, :, None]
        keep[rows, :n] = content_mask(ids, mask, specials).float()
    return hidden, keep


def cached_pairs(path: Path | None, key: dict, compute) -> tuple[torch.Tensor, ...]:
    """The cached tensors at `path` when they were made with the same `key`, else `compute()` saved there."""
    if path and path.exists():
        saved = torch.load(path)
        if saved.get("key") == key:
            log(f"hidden states from {path}")
            return saved["tensors"]
    tensors = compute()
    if path:
        torch.save({"key": key, "tensors": tensors}, path)
    return tensors


def best_matches(q: torch.Tensor, d: torch.Tensor, dm: torch.Tensor) -> torch.Tensor:
    """[B_q, B_d, Lq] max_j cos(q_i, d_j) over each passage's content tokens: fixed while the encoder is."""
    qn, dn = F.normalize(q, dim=-1), F.normalize(d, dim=-1)
    sims = torch.einsum("ath,buh->abtu", qn, dn).masked_fill(~dm[None, :, None, :].bool(), -1e4)
    return sims.max(-1).values


def weighted_maxsim_from_matches(best: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """[B_q, B_d] weighted mean of the cached best matches, as train.maxsim_scores computes it."""
    return (best * weights[:, None, :]).sum(-1) / weights.sum(-1, keepdim=True).clamp(min=1e-6)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="model folder whose encoder is kept (model.onnx, tokenizer.json, training.json)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pairs", type=int, default=0, help="fine-tuning pairs whose hidden states are cached (0 = all)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--weights-l1", type=float, default=0.0, help="pull on the mean query token weight (0 = none)")
    ap.add_argument("--pooling", choices=["mean", "attention"], default="attention", help="how the single vector pools the token states")
    ap.add_argument("--ict-chars", type=int, default=1_500_000, help="characters of Debian prose and demo passages cut into inverse-cloze pairs")
    ap.add_argument("--cache", type=Path, default=None, help="keep the cached hidden states in this file for the next run on the same base and pairs")
    ap.add_argument("--distill", type=float, default=1.0, help="weight of the loss that teaches the single vector to rank as plain MaxSim does (0 = none)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base_dir, out = Path(args.base), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    base = json.loads((base_dir / "training.json").read_text())
    tok = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    tok.save(str(out / "tokenizer.json"))
    cfg = EncoderConfig(**{**base["config"], "pooled_dim": base["config"].get("pooled_dim", EncoderConfig.pooled_dim), "pooling": args.pooling})
    model = DiffusionEncoder(cfg).eval()
    load_onnx_weights(model, str(base_dir / "model.onnx"))
    for p in model.parameters():
        p.requires_grad_(False)
    heads = [model.weight_head, model.pooled_head] + ([model.pool_score] if args.pooling == "attention" else [])
    for h in heads:
        for p in h.parameters():
            p.requires_grad_(True)
    specials = [tok.token_to_id(t) for t in ["[PAD]", "[CLS]", "[SEP]"]]

    pairs = retrieval_pairs(args.seed, args.ict_chars)
    pairs = pairs[: args.pairs] if args.pairs > 0 else pairs
    onnx_file = base_dir / "model.onnx"
    key = {"model": hashlib.sha256(onnx_file.read_bytes()).hexdigest(), "pairs": len(pairs), "seed": args.seed, "ict_chars": args.ict_chars, "lengths": [QUERY_LEN, DOC_LEN]}

    def compute() -> tuple[torch.Tensor, ...]:
        import onnxruntime as ort

        log(f"caching hidden states of {len(pairs)} pairs")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        return (
            *cache_hidden(session, cfg.hidden, tok, [q for q, _ in pairs], QUERY_LEN, specials),
            *cache_hidden(session, cfg.hidden, tok, [d for _, d in pairs], DOC_LEN, specials),
        )

    qh, qm, dh, dm = cached_pairs(args.cache, key, compute)
    cache_seconds = time.time() - started
    log(f"cached in {cache_seconds:.0f}s")

    rng = random.Random(args.seed)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    batches = [order[k : k + args.batch] for k in range(0, len(order) - args.batch + 1, args.batch)]
    n_val = max(1, len(batches) // 10)
    train_b, val_b = batches[n_val:], batches[:n_val]
    # The batches are fixed, so each one's best matches are computed once.
    best = {tuple(b): best_matches(qh[b], dh[b], dm[b]) for b in batches}

    opt = torch.optim.AdamW([p for h in heads for p in h.parameters()], lr=args.lr, weight_decay=0.0)
    history = []

    def losses(b: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        w = model.token_weights(qh[b]) * qm[b]
        mvr = F.cross_entropy(weighted_maxsim_from_matches(best[tuple(b)], w) / args.temperature, torch.arange(len(b)))
        qp, dp = model.pooled(qh[b], qm[b]), model.pooled(dh[b], dm[b])
        svr = pooled_infonce(qp, dp, args.temperature)
        # Distillation: the single vector learns to rank the batch's passages as plain MaxSim does, which
        # matches paraphrases the pooled vector alone misses.
        teacher = F.softmax(weighted_maxsim_from_matches(best[tuple(b)], qm[b]) / args.temperature, dim=-1)
        distill = F.kl_div(F.log_softmax(qp @ dp.t() / args.temperature, dim=-1), teacher, reduction="batchmean")
        return mvr, svr, (w.sum() / qm[b].sum()), distill

    with torch.no_grad():
        plain = mean([F.cross_entropy(weighted_maxsim_from_matches(best[tuple(b)], qm[b]) / args.temperature, torch.arange(len(b))).item() for b in val_b])
    best_val: dict[str, tuple[float, int, list]] = {"mvr": (math.inf, -1, []), "svr": (math.inf, -1, [])}
    for epoch in range(args.epochs):
        rng.shuffle(train_b)
        for b in train_b:
            mvr, svr, mean_w, distill = losses(b)
            loss = mvr + svr + args.weights_l1 * mean_w + args.distill * distill
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            v = [losses(b) for b in val_b]
        history.append({"epoch": epoch, "val_mvr": mean([x[0].item() for x in v]), "val_svr": mean([x[1].item() for x in v]), "mean_weight": mean([x[2].item() for x in v]), "val_distill": mean([x[3].item() for x in v])})
        # The heads share no parameters and their losses add, so each keeps the epoch its own validation
        # loss liked best: the single-vector head overfits the cached pairs well before the weight head does.
        for name, loss_key, modules in (("mvr", "val_mvr", [model.weight_head]), ("svr", "val_svr", heads[1:])):
            if history[-1][loss_key] < best_val[name][0]:
                best_val[name] = (history[-1][loss_key], epoch, [copy.deepcopy(m.state_dict()) for m in modules])
        if epoch % 5 == 0 or epoch == args.epochs - 1:
            log(f"heads epoch {epoch}: {history[-1]} (plain MaxSim val loss {plain})")

    for name, modules in (("mvr", [model.weight_head]), ("svr", heads[1:])):
        for m, state in zip(modules, best_val[name][2]):
            m.load_state_dict(state)
        log(f"{name} head: epoch {best_val[name][1]} kept (validation loss {best_val[name][0]:.4f})")
    report = export_model_folder(model, tok, out, token_weights=True, pooled=True)
    training = {
        **base,
        "heads": {
            "base": base_dir.name,
            "pairs": len(pairs),
            "ict_chars": args.ict_chars,
            "pooling": args.pooling,
            "batch": args.batch,
            "epochs": args.epochs,
            "learning_rate": args.lr,
            "temperature": args.temperature,
            "weights_l1": args.weights_l1,
            "distill": args.distill,
            "validation_batches": len(val_b),
            "val_loss_plain_maxsim": plain,
            "final": history[-1],
            "kept_epochs": {"token_weights": best_val["mvr"][1], "pooled": best_val["svr"][1]},
            "history": history,
            "cache_seconds": round(cache_seconds),
            "seconds": round(time.time() - started),
        },
        "config": cfg.to_dict(),
        "export": report,
        "machine": f"{platform.machine()} CPU, {args.threads} threads, torch {torch.__version__}",
    }
    (out / "training.json").write_text(json.dumps(training, indent=2, ensure_ascii=False) + "\n")
    log(f"done in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
