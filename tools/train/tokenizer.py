"""Trains the Korean WordPiece tokenizer and saves it as a Hugging Face tokenizer.json."""
from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_tokenizer(texts: list[str], vocab_size: int, path: str) -> Tokenizer:
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100))
    # NFC only: BERT's accent stripping (NFD) would break every Hangul syllable into jamo.
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS, continuing_subword_prefix="##", limit_alphabet=3000)
    tok.train_from_iterator(texts, trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.save(path)
    check = tok.encode("서울은 한국의 수도이다.")
    assert "[UNK]" not in check.tokens, check.tokens
    for token, (s, e) in zip(check.tokens, check.offsets):
        if token not in SPECIALS:
            assert "서울은 한국의 수도이다."[s:e] == token.removeprefix("##"), (token, s, e)
    print("tokenizer:", tok.get_vocab_size(), "tokens;", check.tokens, flush=True)
    return tok
