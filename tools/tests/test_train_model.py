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


import random  # noqa: E402

import numpy as np  # noqa: E402

import scoring  # noqa: E402
from model import LastHiddenState  # noqa: E402


def test_query_skiplist_takes_particle_pieces_and_punctuation_but_not_standalone_words():
    vocab = {"[PAD]": 0, "이": 5, "##이": 6, "##은": 7, "##를": 8, "?": 9, "누구": 10, "##누구": 11, "한글": 12, "##관": 13}
    plain = scoring.skiplist_tokens(vocab)
    assert plain == ["##이", "##은", "##를", "?"]  # id order
    assert "이" not in plain, "a standalone 이 (this) is a word, not a particle"
    assert "한글" not in plain and "##관" not in plain
    assert scoring.skiplist_tokens(vocab, interrogatives=True) == ["##이", "##은", "##를", "?", "누구", "##누구"]


def test_weighted_maxsim_lets_a_zero_weight_particle_decide_nothing():
    content, particle = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    query = np.stack([content * 0.8 + particle * 0.6, particle])  # a content token and a particle token
    right = np.stack([content])  # the answer shares the content, not the particle
    wrong = np.stack([particle])  # an unrelated passage with the same particle
    assert scoring.maxsim(query, wrong) > scoring.maxsim(query, right)
    weights = np.array([1.0, 0.0])
    assert scoring.maxsim(query, right, weights) > scoring.maxsim(query, wrong, weights)
    assert scoring.maxsim(query, right, np.ones(2)) == pytest.approx(scoring.maxsim(query, right))


def test_training_maxsim_with_weights_is_the_weighted_mean_and_ranks_like_the_weighted_sum():
    torch.manual_seed(3)
    q, d = torch.randn(2, 4, 8), torch.randn(3, 6, 8)
    w = torch.tensor([[0.9, 0.1, 0.5, 0.0], [0.3, 0.3, 0.3, 0.3]])
    dm = torch.ones(3, 6)
    got = train.maxsim_scores(q, w, d, dm)
    qn, dn = torch.nn.functional.normalize(q, dim=-1), torch.nn.functional.normalize(d, dim=-1)
    for a in range(2):
        sums = [scoring.maxsim(qn[a].numpy(), dn[b].numpy(), w[a].numpy()) for b in range(3)]
        assert np.allclose(got[a].numpy(), np.array(sums) / float(w[a].sum()), atol=1e-5)
        assert list(np.argsort(sums)) == list(torch.argsort(got[a]).numpy())


def test_token_weight_head_starts_near_uniform_and_learns_to_drop_an_uninformative_token():
    model = make_model()
    ids = torch.tensor([[2, 40, 41, 3], [2, 42, 41, 3]])  # token 41 is in both queries: a "particle"
    mask = torch.ones_like(ids)
    with torch.no_grad():
        w0 = model.token_weights(model.hidden_states(ids, mask))
    assert w0.shape == ids.shape and ((w0 > 0) & (w0 < 1)).all()
    assert torch.allclose(w0, torch.full_like(w0, torch.sigmoid(torch.tensor(1.0)).item()), atol=1e-6)
    docs = torch.tensor([[2, 40, 41, 3], [2, 42, 41, 3]])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(60):
        q = model.hidden_states(ids, mask)
        d = model.hidden_states(docs, mask)
        keep = train.content_mask(ids, mask, [2, 3]).float()
        scores = train.maxsim_scores(q, keep * model.token_weights(q), d, train.content_mask(docs, mask, [2, 3]).float())
        loss = torch.nn.functional.cross_entropy(scores / 0.05, torch.arange(2))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        w = model.token_weights(model.hidden_states(ids, mask))
    assert float(w[0, 2]) < float(w[0, 1]) and float(w[1, 2]) < float(w[1, 1])


def test_pooled_head_gives_unit_vectors_that_ignore_padding_and_special_tokens():
    model = make_model()
    ids = torch.tensor([[2, 40, 41, 3, 0, 0], [2, 40, 41, 3, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 0, 0]])
    wrapper = LastHiddenState(model, [2, 3]).eval()
    with torch.no_grad():
        hidden, weights, pooled = wrapper(ids, mask)
        _, _, bare = wrapper(ids[:1, :4], mask[:1, :4])
        content = train.content_mask(ids, mask, [2, 3])
        expected = torch.nn.functional.normalize(model.pooled_head(hidden[0, 1:3].mean(0)), dim=-1)
    assert pooled.shape == (2, CFG.pooled_dim) and weights.shape == ids.shape
    assert torch.allclose(pooled.norm(dim=-1), torch.ones(2), atol=1e-5)
    assert torch.allclose(pooled[0], bare[0], atol=1e-5)
    assert torch.allclose(pooled[0], expected, atol=1e-5)
    assert content[0].tolist() == [0, 1, 1, 0, 0, 0]


def test_pooled_infonce_is_low_for_matching_pairs_and_trains_the_head():
    torch.manual_seed(4)
    a = torch.nn.functional.normalize(torch.randn(6, 16), dim=-1)
    assert train.pooled_infonce(a, a, 0.05) < 0.01
    assert train.pooled_infonce(a, a[torch.tensor([1, 2, 3, 4, 5, 0])], 0.05) > 5
    extra = torch.nn.functional.normalize(torch.randn(2, 16), dim=-1)  # hard negatives after the positives
    assert torch.isfinite(train.pooled_infonce(a, torch.cat([a, extra]), 0.05))
    model = make_model()
    ids = torch.tensor([[2, 40, 41, 3], [2, 50, 51, 3], [2, 60, 61, 3]])
    docs = torch.tensor([[2, 41, 42, 3], [2, 51, 52, 3], [2, 61, 62, 3]])
    mask = torch.ones_like(ids)
    opt = torch.optim.Adam(model.pooled_head.parameters(), lr=1e-2)

    def loss():
        keep = train.content_mask(ids, mask, [2, 3])
        return train.pooled_infonce(model.pooled(model.hidden_states(ids, mask), keep), model.pooled(model.hidden_states(docs, mask), keep), 0.05)

    first = loss().item()
    for _ in range(30):
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
    assert loss().item() < first * 0.5


def test_inverse_cloze_takes_one_sentence_out_of_its_passage():
    passages = ["첫째 문장은 여기에 있다. 둘째 문장은 저기에 있다. 셋째 문장은 끝에 있다.", "한 문장뿐인 짧은 문단이다.", "가나다라마바 하나. 가나다라마바 둘!"]
    pairs = data.inverse_cloze_pairs(passages, random.Random(0))
    assert len(pairs) == 1, "passages with fewer than three sentences give no pair"
    query, positive = pairs[0]
    sentences = ["첫째 문장은 여기에 있다.", "둘째 문장은 저기에 있다.", "셋째 문장은 끝에 있다."]
    assert query in sentences and query not in positive
    assert all(s in positive for s in sentences if s != query)
    assert data.inverse_cloze_pairs(passages, random.Random(0)) == pairs, "seeded"


def test_eojeol_pooling_gives_one_unit_vector_per_word():
    v = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    pooled = scoring.eojeol_pool(v, [0, 0, 1])
    assert pooled.shape == (2, 3)
    assert np.allclose(pooled[0], [2 ** -0.5, 2 ** -0.5, 0]) and np.allclose(pooled[1], [0, 0, 1])


def test_ndcg_uses_linear_gain_and_trec_eval_tie_order():
    qrels = {"a": 1, "b": 2}
    assert scoring.ndcg_at_k({"b": 3.0, "a": 2.0, "c": 1.0}, qrels) == pytest.approx(1.0)
    dcg = 1 / np.log2(2) + 2 / np.log2(3)
    idcg = 2 / np.log2(2) + 1 / np.log2(3)
    assert scoring.ndcg_at_k({"a": 3.0, "b": 2.0}, qrels) == pytest.approx(dcg / idcg)
    # equal scores: trec_eval puts the larger document id first
    assert scoring.ranked({"d1": 1.0, "d2": 1.0, "d0": 2.0}) == ["d0", "d2", "d1"]


def test_wsum_min_max_normalises_each_list_and_missing_documents_add_nothing():
    fused = scoring.wsum_fuse([{"x": 10.0, "y": 5.0, "z": 0.0}, {"y": 3.0, "w": 1.0}], [0.25, 0.75])
    assert fused == pytest.approx({"x": 0.25, "y": 0.125 + 0.75, "z": 0.0, "w": 0.0})


def test_fusion_weight_search_finds_the_band_where_both_lists_count():
    # q1: MVR is confident and right, BM25 puts the answer low. q2: BM25 is confident and right, MVR has the
    # answer a close second. Only a weight that leans towards MVR but not all the way gets both right.
    mvr = {"q1": {"r1": 1.0, "n1": 0.0, "n2": 0.5}, "q2": {"n3": 1.0, "r2": 0.9, "n4": 0.0}}
    bm25 = {"q1": {"n1": 1.0, "r1": 0.8, "n2": 0.0}, "q2": {"r2": 1.0, "n3": 0.0, "n4": 0.5}}
    qrels = {"q1": {"r1": 1}, "q2": {"r2": 1}}
    w, curve = scoring.fusion_weight(mvr, bm25, qrels, step=0.1)
    scores = dict(curve)
    assert scores[0.0] < 1.0 and scores[1.0] < 1.0
    assert scores[w] == pytest.approx(1.0)
    best = [x for x, s in curve if s == pytest.approx(1.0)]
    # r1 beats n1 when w > 0.5·(1 − w)·… : the optimum is an interior band; ties go to the w nearest 0.5
    assert 0.0 < min(best) and max(best) < 1.0
    assert w == min(best, key=lambda x: abs(x - 0.5))


@pytest.mark.skipif(not (data.SHARED / "strategyqa-ko-train.jsonl").exists(), reason=f"{data.SHARED} is not present")
def test_tuning_rows_are_training_rows_that_fine_tuning_never_sees():
    train_rows, held = data.strategyqa_split()
    tuning = data.tuning_indices()
    assert tuning and set(tuning) <= set(train_rows) and not set(tuning) & set(held)
    assert set(data.finetune_indices()) == set(train_rows) - set(tuning)
    rows = data.strategyqa_rows()
    tuning_queries = {rows[i]["query"] for i in tuning} - {rows[i]["query"] for i in data.finetune_indices()}
    assert tuning_queries
    assert not any(q in tuning_queries for q, _ in data.retrieval_pairs(0, ict_chars=0))


def test_onnx_weights_load_back_into_the_encoder(tmp_path):
    from model import load_onnx_weights

    model = make_model(5)
    with torch.no_grad():
        for block in model.blocks:  # distinct weights, so a mix-up of the unnamed MatMuls shows
            for linear in (block.qkv, block.out, block.gate, block.up, block.down):
                linear.weight.normal_(0, 0.2)
    ids = torch.tensor([[2, 40, 41, 42, 3]])
    mask = torch.ones_like(ids)
    torch.onnx.export(LastHiddenState(model, [2, 3]).eval(), (ids, mask), str(tmp_path / "m.onnx"), input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state", "token_weights", "pooled"], opset_version=14, do_constant_folding=True)
    fresh = make_model(6)
    load_onnx_weights(fresh, str(tmp_path / "m.onnx"))
    with torch.no_grad():
        assert torch.allclose(fresh.hidden_states(ids, mask), model.hidden_states(ids, mask), atol=1e-5)


def test_cached_best_matches_give_the_training_maxsim():
    import heads

    torch.manual_seed(7)
    q, d = torch.randn(3, 5, 8), torch.randn(3, 6, 8)
    qm = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]).float()
    dm = torch.tensor([[1] * 6, [1, 1, 1, 0, 0, 0], [1] * 5 + [0]]).float()
    w = qm * torch.rand(3, 5)
    cached = heads.weighted_maxsim_from_matches(heads.best_matches(q, d, dm), w)
    assert torch.allclose(cached, train.maxsim_scores(q, w, d, dm), atol=1e-5)


def test_attention_pooling_starts_as_the_mean_then_learns_which_tokens_count():
    from dataclasses import replace

    torch.manual_seed(3)
    mean_model = DiffusionEncoder(CFG).eval()
    torch.manual_seed(3)
    attn_model = DiffusionEncoder(replace(CFG, pooling="attention")).eval()
    ids = torch.tensor([[2, 40, 41, 42, 3, 0], [2, 50, 51, 3, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]])
    keep = train.content_mask(ids, mask, [2, 3])
    with torch.no_grad():
        hidden = mean_model.hidden_states(ids, mask)
        assert torch.allclose(attn_model.pooled(hidden, keep), mean_model.pooled(hidden, keep), atol=1e-6)
        # A score that favours one token pulls the pooled vector towards that token alone; padding and
        # special tokens get no weight whatever their score.
        attn_model.pool_score.weight.copy_(hidden[0, 2] * 50)
        sharp = attn_model.pooled(hidden, keep)
        alone = torch.nn.functional.normalize(attn_model.pooled_head(hidden[0, 2]), dim=-1)
        assert torch.allclose(sharp[0], alone, atol=1e-3)
        hidden_noise = hidden.clone()
        hidden_noise[0, 0] += 100.0  # [CLS]
        hidden_noise[0, 5] += 100.0  # padding
        assert torch.allclose(attn_model.pooled(hidden_noise, keep)[0], sharp[0], atol=1e-5)
    with pytest.raises(ValueError, match="pooling"):
        DiffusionEncoder(replace(CFG, pooling="max"))


def test_cached_hidden_states_from_onnxruntime_match_the_torch_encoder(tmp_path):
    import onnxruntime as ort

    import heads

    class Tok:
        """The slice of tokenizers.Tokenizer that cache_hidden uses, over fixed id lists."""

        def __init__(self, rows):
            self.rows = rows
            self.limit = None

        def enable_truncation(self, limit):
            self.limit = limit

        def encode_batch(self, texts):
            return [type("E", (), {"ids": self.rows[int(t)][: self.limit]})() for t in texts]

    model = make_model(9)
    ids = torch.tensor([[2, 40, 41, 42, 3]])
    torch.onnx.export(LastHiddenState(model, [2, 3]).eval(), (ids, torch.ones_like(ids)), str(tmp_path / "m.onnx"), input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state", "token_weights", "pooled"], dynamic_axes={"input_ids": {0: "b", 1: "l"}, "attention_mask": {0: "b", 1: "l"}, "last_hidden_state": {0: "b", 1: "l"}}, opset_version=14)
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    rows = [[2, 40, 41, 42, 43, 44, 3], [2, 50, 3], [2, 60, 61, 62, 3], [2, 70, 71, 3]]
    hidden, keep = heads.cache_hidden(session, CFG.hidden, Tok(rows), ["0", "1", "2", "3"], 6, [0, 2, 3], batch=2)
    assert hidden.shape == (4, 6, CFG.hidden) and keep.shape == (4, 6)
    with torch.no_grad():
        for i, row in enumerate(rows):
            cut = torch.tensor([row[:6]])
            want = model.hidden_states(cut, torch.ones_like(cut))[0]
            assert torch.allclose(hidden[i, : cut.shape[1]], want, atol=1e-4)
            assert torch.all(hidden[i, cut.shape[1] :] == 0)
            assert keep[i].tolist() == [0.0] + [1.0] * (cut.shape[1] - 2) + [0.0 if row[cut.shape[1] - 1] == 3 else 1.0] + [0.0] * (6 - cut.shape[1])
