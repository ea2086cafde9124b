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

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        # Tied LM head; unit-scale embeddings would give logits of order sqrt(hidden) without the scale.
        return hidden @ self.embed.weight.t() / math.sqrt(self.cfg.hidden)


class LastHiddenState(nn.Module):
    """The export wrapper: (input_ids, attention_mask) → last_hidden_state."""

    def __init__(self, model: DiffusionEncoder):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model.hidden_states(input_ids, attention_mask)
