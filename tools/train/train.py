"""Builds Saegim's bundled encoder: tokenizer → masked-diffusion pre-training → MaxSim contrastive
fine-tuning → ONNX export checked against torch.

    python tools/train/train.py --out assets/models/saegim-dlm-mini-ko

Seeded end to end; see tools/train/README.md for the figures of the shipped run.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from data import hard_negatives, pretraining_texts, retrieval_pairs, strategyqa_training_facts, write_heldout_beir
from export import export_model_folder
from model import DiffusionEncoder, EncoderConfig
from scoring import query_skiplist_ids
from tokenizer import train_tokenizer


def mean(xs: list[float]) -> float:
    return round(sum(xs) / max(1, len(xs)), 4)


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def encode_all(tok, texts: list[str], max_len: int) -> list[list[int]]:
    tok.enable_truncation(max_len)
    return [e.ids for e in tok.encode_batch(texts)]


def pad(batch: list[list[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    length = max(len(x) for x in batch)
    ids = torch.full((len(batch), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), length), dtype=torch.long)
    for i, x in enumerate(batch):
        ids[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = 1
    return ids, mask


def pack(rows: list[list[int]], length: int, cls: int, sep: int, rng: random.Random) -> list[list[int]]:
    """Concatenates shuffled texts (each closed by [SEP]) into full [CLS] … [SEP] windows: most corpus
    sentences are ~15 tokens, so padding each to the batch maximum would waste most of a CPU step."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    stream: list[int] = []
    for i in order:
        stream += rows[i][1:-1] + [sep]
    body = length - 2
    return [[cls] + stream[k : k + body] + [sep] for k in range(0, len(stream) - body + 1, body)]


def masked_diffusion_loss(model: DiffusionEncoder, ids: torch.Tensor, mask: torch.Tensor, mask_id: int, special: torch.Tensor) -> torch.Tensor:
    """LLaDA/Dream objective: t ~ U(0,1) per sequence, mask each token with probability p(t), predict the
    masked tokens, weight by 1/p(t). p(t) = 0.95·t + 0.05 bounds the weight at 20 for small batches."""
    b, _ = ids.shape
    p = 0.95 * torch.rand(b, 1) + 0.05
    maskable = (mask == 1) & ~special
    masked = (torch.rand(ids.shape) < p) & maskable
    if masked.sum() == 0:
        return torch.zeros((), requires_grad=True)
    noisy = ids.masked_fill(masked, mask_id)
    hidden = model.hidden_states(noisy, mask)
    logits = model.logits(hidden[masked])
    ce = F.cross_entropy(logits, ids[masked], reduction="none")
    weights = (1.0 / p).expand_as(ids)[masked]
    return (ce * weights).sum() / maskable.sum().clamp(min=1)


def maxsim_scores(q: torch.Tensor, qm: torch.Tensor, d: torch.Tensor, dm: torch.Tensor) -> torch.Tensor:
    """[B_q, B_d] MaxSim (weighted mean over query tokens) between every query and every passage of the
    batch. `qm` is 0/1 or a per-token weight: dividing by its sum keeps the score a cosine average, so the
    temperature means the same with or without learned weights, and per query it ranks passages exactly as
    the engine's sum Σ_i w_i · max_j q_i·d_j does."""
    q = F.normalize(q, dim=-1)
    d = F.normalize(d, dim=-1)
    sims = torch.einsum("ath,buh->abtu", q, d)
    sims = sims.masked_fill(~dm[None, :, None, :].bool(), -1e4)
    best = sims.max(-1).values * qm[:, None, :]
    return best.sum(-1) / qm.sum(-1, keepdim=True).clamp(min=1e-6)


def pooled_infonce(qp: torch.Tensor, dp: torch.Tensor, temperature: float) -> torch.Tensor:
    """In-batch InfoNCE on single pooled vectors: query i's positive is passage i, every other passage of
    the batch (hard negatives included) is a negative. Trains the SVR head on its own objective."""
    return F.cross_entropy(qp @ dp.t() / temperature, torch.arange(qp.shape[0]))


def optimise(model: torch.nn.Module, opt: torch.optim.Optimizer, sched, loss: torch.Tensor) -> float:
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    return loss.item()


def phase_done(losses: list[float], phase: str, step: int, steps: int, stop: int, started: float, budget: float, every: int) -> bool:
    """Logs the running loss every `every` steps; True when the phase ends here (last step, --*-stop or
    the time budget)."""
    last = step == steps - 1 or step + 1 == stop or time.time() - started > budget
    if step % every == 0 or last:
        log(f"{phase} {step}/{steps} loss {sum(losses[-every:]) / len(losses[-every:]):.3f} ({time.time() - started:.0f}s)")
    return last


def content_mask(ids: torch.Tensor, mask: torch.Tensor, drop: list[int]) -> torch.Tensor:
    keep = mask.clone()
    for t in drop:
        keep = keep * (ids != t).long()
    return keep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="assets/models/saegim-dlm-mini-ko")
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--intermediate", type=int, default=688)
    ap.add_argument("--pretrain-steps", type=int, default=1200)
    ap.add_argument("--pretrain-batch", type=int, default=48)
    ap.add_argument("--pretrain-len", type=int, default=64)
    ap.add_argument("--finetune-steps", type=int, default=600)
    ap.add_argument("--finetune-batch", type=int, default=32)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--pretrain-lr", type=float, default=1e-3)
    ap.add_argument("--finetune-lr", type=float, default=2e-4)
    ap.add_argument("--hard-negatives", action="store_true", help="add each StrategyQA-ko question's most bigram-similar other fact passage to the batch as a negative")
    ap.add_argument("--nsmc-chars", type=int, default=0, help="characters of NSMC reviews added to the pre-training text")
    ap.add_argument("--token-weights", action="store_true", help="train the query token-weight head jointly: query token i's MaxSim contribution is multiplied by its weight")
    ap.add_argument("--train-skiplist", action="store_true", help="leave the query skiplist's function pieces out of the fine-tuning MaxSim")
    ap.add_argument("--pooled-loss", type=float, default=0.0, help="weight of the pooled single-vector InfoNCE loss (0 = the SVR head is not trained)")
    ap.add_argument("--init-from", metavar="DIR", help="continue from an exported model folder (its tokenizer, config and model.onnx weights): no tokenizer training, no pre-training")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--pretrain-minutes", type=float, default=0, help="stop pre-training early after this many minutes (0 = never); the steps reached are recorded")
    ap.add_argument("--finetune-minutes", type=float, default=0, help="the same guard for fine-tuning")
    ap.add_argument("--pretrain-stop", type=int, default=0, help="stop pre-training after this many steps, the schedule still spanning --pretrain-steps (replays a run cut by --pretrain-minutes)")
    ap.add_argument("--finetune-stop", type=int, default=0, help="the same for fine-tuning")
    ap.add_argument("--write-heldout", metavar="DIR", help="write the held-out 20%% of StrategyQA-ko as a BEIR folder and exit")
    args = ap.parse_args()

    if args.write_heldout:
        n = write_heldout_beir(Path(args.write_heldout))
        log(f"held-out StrategyQA-ko: {n} queries written to {args.write_heldout}")
        return
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    base = None
    if args.init_from:
        from tokenizers import Tokenizer

        from model import load_onnx_weights

        base_dir = Path(args.init_from)
        base = json.loads((base_dir / "training.json").read_text())
        tok = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
        tok.save(str(out / "tokenizer.json"))
        cfg = EncoderConfig(**{**base["config"], "pooled_dim": base["config"].get("pooled_dim", EncoderConfig.pooled_dim)})
        model = DiffusionEncoder(cfg)
        load_onnx_weights(model, str(base_dir / "model.onnx"))
        log(f"initialised from {base_dir}: {base['pretraining']['steps']} pre-training + {base['finetuning']['steps']} fine-tuning steps")
        texts, corpus, pre_losses, t0 = [], [], [], time.time()
        ids_mask = tok.token_to_id("[MASK]")
        specials = [tok.token_to_id(t) for t in ["[PAD]", "[CLS]", "[SEP]"]]
        params = sum(p.numel() for p in model.parameters())
        rng = random.Random(args.seed)
    else:
        texts = pretraining_texts(args.nsmc_chars)
        log(f"pre-training texts: {len(texts)} ({sum(map(len, texts))} characters)")
        tok = train_tokenizer(texts, args.vocab, str(out / "tokenizer.json"))
        ids_mask = tok.token_to_id("[MASK]")
        specials = [tok.token_to_id(t) for t in ["[PAD]", "[CLS]", "[SEP]"]]

        cfg = EncoderConfig(vocab_size=tok.get_vocab_size(), hidden=args.hidden, layers=args.layers, heads=args.heads, intermediate=args.intermediate)
        model = DiffusionEncoder(cfg)
        params = sum(p.numel() for p in model.parameters())
        log(f"model: {params:,} parameters {cfg.to_dict()}")

        # Pre-training: masked diffusion on Korean text.
        rng = random.Random(args.seed)
        corpus = pack(encode_all(tok, texts, 10_000), args.pretrain_len, tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]"), rng)
        log(f"pre-training windows: {len(corpus)} × {args.pretrain_len} tokens")
        budget = args.pretrain_minutes * 60 if args.pretrain_minutes > 0 else float("inf")
        opt = torch.optim.AdamW(model.parameters(), lr=args.pretrain_lr, weight_decay=0.01, betas=(0.9, 0.98))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / args.pretrain_steps))))
        t0 = time.time()
        pre_losses: list[float] = []
        for step in range(args.pretrain_steps):
            ids, mask = pad(rng.sample(corpus, args.pretrain_batch))
            special = torch.zeros_like(ids, dtype=torch.bool)
            for s in specials:
                special |= ids == s
            pre_losses.append(optimise(model, opt, sched, masked_diffusion_loss(model, ids, mask, ids_mask, special)))
            if phase_done(pre_losses, "pretrain", step, args.pretrain_steps, args.pretrain_stop, t0, budget, every=50):
                break
    pretrain_seconds = time.time() - t0

    # Fine-tuning: contrastive InfoNCE over MaxSim with in-batch negatives.
    pairs = retrieval_pairs(args.seed)
    log(f"fine-tuning pairs: {len(pairs)}")
    negatives = hard_negatives(pairs, strategyqa_training_facts()) if args.hard_negatives else {}
    if negatives:
        log(f"hard negatives: {len(negatives)} questions")
    skip = query_skiplist_ids(tok) if args.train_skiplist else []
    tok.enable_truncation(128)
    opt = torch.optim.AdamW(model.parameters(), lr=args.finetune_lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 50) * max(0.05, 1 - s / args.finetune_steps))
    budget = args.finetune_minutes * 60 if args.finetune_minutes > 0 else float("inf")
    t1 = time.time()
    ft_losses: list[float] = []
    cursor = 0
    for step in range(args.finetune_steps):
        if cursor + args.finetune_batch > len(pairs):
            rng.shuffle(pairs)
            cursor = 0
        batch = pairs[cursor : cursor + args.finetune_batch]
        cursor += args.finetune_batch
        q_ids, q_mask = pad([e.ids[:48] for e in tok.encode_batch([q for q, _ in batch])])
        extra = [negatives[q] for q, _ in batch if q in negatives]
        d_ids, d_mask = pad([e.ids for e in tok.encode_batch([d for _, d in batch] + extra)])
        q = model.hidden_states(q_ids, q_mask)
        d = model.hidden_states(d_ids, d_mask)
        q_keep = content_mask(q_ids, q_mask, specials + skip).float()
        d_keep = content_mask(d_ids, d_mask, specials)
        q_weight = q_keep * model.token_weights(q) if args.token_weights else q_keep
        scores = maxsim_scores(q, q_weight, d, d_keep.float())
        loss = F.cross_entropy(scores / args.temperature, torch.arange(len(batch)))
        if args.pooled_loss > 0:
            loss = loss + args.pooled_loss * pooled_infonce(model.pooled(q, content_mask(q_ids, q_mask, specials)), model.pooled(d, d_keep), args.temperature)
        ft_losses.append(optimise(model, opt, sched, loss))
        if phase_done(ft_losses, "finetune", step, args.finetune_steps, args.finetune_stop, t1, budget, every=25):
            break
    finetune_seconds = time.time() - t1

    model.eval()
    report = export_model_folder(model, tok, out, token_weights=args.token_weights, pooled=args.pooled_loss > 0)
    training = {
        "seed": args.seed,
        "initialised_from": {"folder": Path(args.init_from).name, "pretraining": base["pretraining"], "finetuning": base["finetuning"]} if base else None,
        "parameters": params,
        "config": cfg.to_dict(),
        "pretraining": {"texts": len(texts), "characters": sum(map(len, texts)), "nsmc_chars": args.nsmc_chars, "windows": len(corpus), "steps": len(pre_losses), "planned_steps": args.pretrain_steps, "batch": args.pretrain_batch, "learning_rate": args.pretrain_lr, "max_length": args.pretrain_len, "first_loss": mean(pre_losses[:50]), "final_loss": mean(pre_losses[-50:]), "seconds": round(pretrain_seconds)},
        "finetuning": {"pairs": len(pairs), "steps": len(ft_losses), "planned_steps": args.finetune_steps, "batch": args.finetune_batch, "hard_negatives": len(negatives), "token_weights": args.token_weights, "train_skiplist": args.train_skiplist, "pooled_loss": args.pooled_loss, "learning_rate": args.finetune_lr, "temperature": args.temperature, "first_loss": mean(ft_losses[:25]), "final_loss": mean(ft_losses[-25:]), "seconds": round(finetune_seconds)},
        "export": report,
        "machine": f"{platform.machine()} CPU, {args.threads} threads, torch {torch.__version__}",
        "total_seconds": round(time.time() - started),
    }
    (out / "training.json").write_text(json.dumps(training, indent=2, ensure_ascii=False) + "\n")
    log(f"done: {json.dumps(training, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
