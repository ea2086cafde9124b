"""A small Qwen2-style bidirectional encoder: RMSNorm, rotary positions, SwiGLU MLP, full attention.

It is a masked diffusion language model like Dream and LLaDA: attention is never causal, the denoiser
predicts masked tokens from everything around them, and at t = 0 (nothing masked) its last hidden layer is
the token representation MaxSim scores.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
import torch.nn.functional as F


@dataclass
class EncoderConfig:
    vocab_size: int = 8000
    hidden: int = 256
    layers: int = 4
    heads: int = 4
    intermediate: int = 688
    max_length: int = 256
    rope_theta: float = 10000.0
    eps: float = 1e-6
    pooled_dim: int = 256
    # How the single vector pools the token states: "mean" of the content tokens, or "attention" — a learned
    # score per token, softmax over the content tokens, which starts as the mean (scores initialised to 0).
    pooling: str = "mean"

    def to_dict(self) -> dict:
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Block(nn.Module):
    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.heads = cfg.heads
        self.head_dim = cfg.hidden // cfg.heads
        self.attn_norm = RMSNorm(cfg.hidden, cfg.eps)
        self.qkv = nn.Linear(cfg.hidden, 3 * cfg.hidden, bias=True)  # Qwen2 keeps biases on q, k, v
        self.out = nn.Linear(cfg.hidden, cfg.hidden, bias=False)
        self.mlp_norm = RMSNorm(cfg.hidden, cfg.eps)
        self.gate = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.up = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.down = nn.Linear(cfg.intermediate, cfg.hidden, bias=False)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, l, h = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, l, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + bias
        attn = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(b, l, h)
        x = x + self.out(attn)
        y = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class DiffusionEncoder(nn.Module):
    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.hidden)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(cfg.hidden, cfg.eps)
        head_dim = cfg.hidden // cfg.heads
        inv = 1.0 / (cfg.rope_theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
        angles = torch.outer(torch.arange(cfg.max_length).float(), inv)
        angles = torch.cat((angles, angles), dim=-1)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)
        # Retrieval heads on the last hidden layer: a per-token weight in [0, 1] for the query side of
        # MaxSim, and a projection of the mean-pooled tokens trained for single-vector retrieval.
        self.weight_head = nn.Linear(cfg.hidden, 1)
        self.pooled_head = nn.Linear(cfg.hidden, cfg.pooled_dim)
        # skip_init: a default-initialised layer would draw from the generator and change every seeded run.
        self.pool_score = nn.utils.skip_init(nn.Linear, cfg.hidden, 1)
        if cfg.pooling not in ("mean", "attention"):
            raise ValueError(f"pooling must be 'mean' or 'attention', got {cfg.pooling!r}")
        self._init_weights()

    def _init_weights(self) -> None:
        # Unit-scale embeddings with small block weights keep each token's identity dominant in the
        # residual stream at the start, so MaxSim begins as a soft lexical match that training refines;
        # with 0.02 embeddings the blocks' first outputs swamp them and every token vector looks alike.
        nn.init.normal_(self.embed.weight, std=1.0)
        residual_std = 0.02 / math.sqrt(2 * self.cfg.layers)
        for block in self.blocks:
            for linear in (block.qkv, block.gate, block.up):
                nn.init.normal_(linear.weight, std=0.02)
            for linear in (block.out, block.down):
                nn.init.normal_(linear.weight, std=residual_std)
            nn.init.zeros_(block.qkv.bias)
        # Every token starts at weight sigmoid(1) ≈ 0.73, so the weighted MaxSim begins as the plain one and
        # training can move a piece either way.
        nn.init.zeros_(self.weight_head.weight)
        nn.init.constant_(self.weight_head.bias, 1.0)
        nn.init.normal_(self.pooled_head.weight, std=1.0 / math.sqrt(self.cfg.hidden))
        nn.init.zeros_(self.pooled_head.bias)
        nn.init.zeros_(self.pool_score.weight)
        nn.init.zeros_(self.pool_score.bias)

    def hidden_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Last hidden layer [batch, length, hidden]; padding is masked out of attention, never causal."""
        l = input_ids.shape[1]
        x = self.embed(input_ids)
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -1e4
        cos = self.cos[:l][None, None]
        sin = self.sin[:l][None, None]
        for block in self.blocks:
            x = block(x, bias, cos, sin)
        return self.norm(x)

    def token_weights(self, hidden: torch.Tensor) -> torch.Tensor:
        """[batch, length] weight in [0, 1] of each token's MaxSim contribution when it is a query token."""
        return torch.sigmoid(self.weight_head(hidden).squeeze(-1))

    def pooled(self, hidden: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
        """[batch, pooled_dim] unit vector: the content tokens' hidden states pooled (cfg.pooling), projected."""
        m = content.to(hidden.dtype).unsqueeze(-1)
        if self.cfg.pooling == "attention":
            scores = self.pool_score(hidden).masked_fill(m == 0, -1e4)
            pooled = (hidden * torch.softmax(scores, dim=1) * m).sum(1)
        else:
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        return F.normalize(self.pooled_head(pooled), dim=-1)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        # Tied LM head; unit-scale embeddings would give logits of order sqrt(hidden) without the scale.
        return hidden @ self.embed.weight.t() / math.sqrt(self.cfg.hidden)


class LastHiddenState(nn.Module):
    """The export wrapper: (input_ids, attention_mask) → (last_hidden_state, token_weights, pooled). The
    pooled vector averages the tokens that are neither padding nor one of `special_ids` ([CLS], [SEP]), the
    same tokens MaxSim scores."""

    def __init__(self, model: DiffusionEncoder, special_ids: list[int] | None = None):
        super().__init__()
        self.model = model
        self.special_ids = list(special_ids or [])

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        hidden = self.model.hidden_states(input_ids, attention_mask)
        content = attention_mask
        for t in self.special_ids:
            content = content * (input_ids != t).to(attention_mask.dtype)
        return hidden, self.model.token_weights(hidden), self.model.pooled(hidden, content)


def load_onnx_weights(model: DiffusionEncoder, path: str) -> None:
    """Loads the encoder weights of an exported model.onnx back into `model` (same config): named
    initializers by name, and the MatMul weights that torch's export leaves unnamed (transposed) in the order
    the export writes them (per block: qkv, out, gate, up, down). The retrieval heads keep their own
    initialisation when the file has no heads."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(path).graph
    state = model.state_dict()
    unnamed = []
    for init in graph.initializer:
        array = torch.from_numpy(numpy_helper.to_array(init).copy())
        if init.name in state and state[init.name].shape == array.shape:
            state[init.name] = array
        elif init.name.startswith("model.") and init.name[len("model.") :] in state:
            state[init.name[len("model.") :]] = array
        elif init.name.startswith("onnx::MatMul"):
            unnamed.append(array)
    order = [f"blocks.{i}.{name}.weight" for i in range(model.cfg.layers) for name in ("qkv", "out", "gate", "up", "down")]
    if len(unnamed) < len(order):
        raise ValueError(f"{path}: {len(unnamed)} unnamed MatMul weights, {len(order)} expected")
    for name, array in zip(order, unnamed):
        if state[name].shape != array.t().shape:
            raise ValueError(f"{path}: {name} is {tuple(state[name].shape)}, the file has {tuple(array.t().shape)}")
        state[name] = array.t().contiguous()
    model.load_state_dict(state)
