"""tools/train: the bundled encoder's architecture, objectives and data split.

Needs torch (Debian's python3-torch is enough); the data-split tests also need ../shared/corpora/ko and
skip with the reason where it is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (apt-get install python3-torch)")
pytest.importorskip("numpy", reason="numpy is not installed")
pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -r tools/requirements-train.txt)")

TRAIN = Path(__file__).resolve().parents[1] / "train"
sys.path.insert(0, str(TRAIN))
import data  # noqa: E402
import train  # noqa: E402
from model import DiffusionEncoder, EncoderConfig  # noqa: E402

CFG = EncoderConfig(vocab_size=300, hidden=64, layers=2, heads=4, intermediate=128, max_length=64)


def make_model(seed: int = 0) -> DiffusionEncoder:
    torch.manual_seed(seed)
    return DiffusionEncoder(CFG).eval()


def test_attention_is_bidirectional():
    model = make_model()
    ids = torch.tensor([[2, 40, 41, 42, 43, 3]])
    changed = ids.clone()
    changed[0, 4] = 99
    mask = torch.ones_like(ids)
    with torch.no_grad():
        a = model.hidden_states(ids, mask)
        b = model.hidden_states(changed, mask)
    # A causal model would leave positions before the change untouched.
    assert (a[0, 1] - b[0, 1]).abs().max() > 1e-4


def test_padding_does_not_change_real_tokens():
    model = make_model()
    ids = torch.tensor([[2, 40, 41, 42, 3, 0, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0, 0, 0]])
    with torch.no_grad():
        padded = model.hidden_states(ids, mask)[0, :5]
        bare = model.hidden_states(ids[:, :5], mask[:, :5])[0]
    assert torch.allclose(padded, bare, atol=1e-5)


def test_initial_token_vectors_keep_token_identity():
    """At initialisation MaxSim must already behave like a soft lexical match: the same token in two
    contexts is close, two different tokens are not."""
    model = make_model()
    mask = torch.ones(1, 6, dtype=torch.long)
    with torch.no_grad():
        a = torch.nn.functional.normalize(model.hidden_states(torch.tensor([[2, 50, 51, 52, 53, 3]]), mask)[0], dim=-1)
        b = torch.nn.functional.normalize(model.hidden_states(torch.tensor([[2, 60, 61, 52, 62, 3]]), mask)[0], dim=-1)
    same = float(a[3] @ b[3])
    different = float(a[1] @ b[1])
    assert same > 0.9
    assert abs(different) < 0.5


def test_masked_diffusion_loss_predicts_only_masked_content_tokens():
    model = make_model()
    torch.manual_seed(1)
    ids = torch.randint(5, CFG.vocab_size, (4, 16))
    ids[:, 0], ids[:, -1] = 2, 3
    mask = torch.ones_like(ids)
    special = (ids == 2) | (ids == 3)
    seen: list[torch.Tensor] = []
    original = model.hidden_states

    def spy(noisy, m):
        seen.append(noisy.clone())
        return original(noisy, m)

    model.hidden_states = spy
    loss = train.masked_diffusion_loss(model, ids, mask, 4, special)
    assert torch.isfinite(loss) and loss.item() > 0
    noisy = seen[0]
    assert (noisy[special] == ids[special]).all(), "special tokens must never be masked"
    masked = noisy == 4
    assert masked.any()
    assert (noisy[~masked] == ids[~masked]).all(), "unmasked tokens pass through unchanged"
    loss.backward()
    assert model.embed.weight.grad is not None


def test_maxsim_scores_match_a_naive_loop():
    torch.manual_seed(2)
    q, d = torch.randn(3, 5, 8), torch.randn(4, 7, 8)
    qm = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]).float()
    dm = torch.tensor([[1] * 7, [1, 1, 0, 0, 0, 0, 0], [1] * 4 + [0] * 3, [1] * 6 + [0]]).float()
    got = train.maxsim_scores(q, qm, d, dm)
    qn, dn = torch.nn.functional.normalize(q, dim=-1), torch.nn.functional.normalize(d, dim=-1)
    for a in range(3):
        for b in range(4):
            total, n = 0.0, 0
            for i in range(5):
                if qm[a, i]:
                    total += max(float(qn[a, i] @ dn[b, j]) for j in range(7) if dm[b, j])
                    n += 1
            assert abs(got[a, b].item() - total / n) < 1e-5


def test_pack_fills_whole_windows():
    import random

    rows = [[2] + list(range(10, 10 + n)) + [3] for n in (5, 9, 3, 12, 7)]
    windows = train.pack(rows, 8, 2, 3, random.Random(0))
    assert windows and all(len(w) == 8 and w[0] == 2 and w[-1] == 3 for w in windows)


@pytest.mark.skipif(not (data.SHARED / "strategyqa-ko-train.jsonl").exists(), reason=f"{data.SHARED} is not present")
def test_heldout_strategyqa_is_never_trained_on():
    train_rows, held = data.strategyqa_split()
    assert not set(train_rows) & set(held)
    assert abs(len(held) / (len(train_rows) + len(held)) - data.HOLDOUT_SHARE) < 0.01
    assert data.strategyqa_split() == (train_rows, held), "the split is seeded"
    rows = data.strategyqa_rows()
    held_queries = {rows[i]["query"] for i in held} - {rows[i]["query"] for i in train_rows}
    held_facts = {data.clean_facts(rows[i]["positive"]) for i in held} - {data.clean_facts(rows[i]["positive"]) for i in train_rows}
    pairs = data.retrieval_pairs(0)
    assert not any(q in held_queries for q, _ in pairs)
    assert not any(d in held_facts for _, d in pairs)


def test_hard_negatives_pick_the_most_bigram_similar_other_passage():
    pool = ["서울은 한국의 수도이다.", "부산은 한국의 항구 도시이다.", "김치는 배추로 담근다."]
    pairs = [("한국의 수도는 어디인가?", pool[0]), ("김치는 무엇으로 담그나?", pool[2]), ("다른 질문", "풀에 없는 문단")]
    negatives = data.hard_negatives(pairs, pool)
    assert negatives["한국의 수도는 어디인가?"] == pool[1]  # shares 한국의 but is not the answer
    assert "다른 질문" not in negatives  # its passage is not in the pool
    assert all(negatives[q] != p for q, p in pairs if q in negatives)
