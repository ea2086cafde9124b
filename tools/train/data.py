"""Korean text for pre-training and pairs for retrieval fine-tuning.

Everything is read at training time from ../shared/corpora/ko (never copied into the repository), from
Debian's Korean documentation packages, and from the demo passages (never the demo queries).
"""
from __future__ import annotations

import csv
import glob
import html
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "corpora" / "ko"
DEMO = ROOT / "assets" / "datasets" / "demo-ko"
DEBIAN_DOCS = ["/usr/share/libreoffice/help/ko", "/usr/share/gimp/2.0/help/ko", "/usr/share/doc/debian/FAQ/ko", "/usr/share/doc/HTML/ko"]

HOLDOUT_SEED = 20261125
HOLDOUT_SHARE = 0.2
# A slice of the training rows kept out of fine-tuning: scoring choices (skiplist against learned weights,
# the fusion weight) are made on it, never on an evaluation set.
TUNING_SHARE = 0.1
NSMC = "nsmc-reviews.txt.gz"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def strategyqa_rows() -> list[dict]:
    with open(SHARED / "strategyqa-ko-train.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def strategyqa_split() -> tuple[list[int], list[int]]:
    """Row indices (train, held-out): a seeded shuffle, last 20% held out and never trained on."""
    n = len(strategyqa_rows())
    order = list(range(n))
    random.Random(HOLDOUT_SEED).shuffle(order)
    cut = int(round(n * (1 - HOLDOUT_SHARE)))
    return sorted(order[:cut]), sorted(order[cut:])


def tuning_indices() -> list[int]:
    """Training rows (never held-out ones) left out of fine-tuning to choose scoring settings on."""
    train, _ = strategyqa_split()
    order = list(train)
    random.Random(HOLDOUT_SEED + 1).shuffle(order)
    return sorted(order[: int(round(len(order) * TUNING_SHARE))])


def finetune_indices() -> list[int]:
    tuning = set(tuning_indices())
    return [i for i in strategyqa_split()[0] if i not in tuning]


def write_strategyqa_beir(folder: Path, indices: list[int]) -> int:
    rows = strategyqa_rows()
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as c, open(folder / "queries.jsonl", "w", encoding="utf-8") as q, open(folder / "qrels" / "test.tsv", "w", encoding="utf-8") as r:
        r.write("query-id\tcorpus-id\tscore\n")
        for i in indices:
            c.write(json.dumps({"_id": f"sqa-d{i}", "title": "", "text": clean_facts(rows[i]["positive"])}, ensure_ascii=False) + "\n")
            q.write(json.dumps({"_id": f"sqa-q{i}", "text": rows[i]["query"]}, ensure_ascii=False) + "\n")
            r.write(f"sqa-q{i}\tsqa-d{i}\t1\n")
    return len(indices)


def heldout_indices() -> list[int]:
    """Line indices (0-based) of strategyqa-ko-train.jsonl that training never sees."""
    return strategyqa_split()[1]


def write_heldout_beir(folder: Path) -> int:
    """The held-out rows as a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv): one passage of
    facts per question, so retrieval over it is judged on questions the encoder was not trained on."""
    return write_strategyqa_beir(folder, heldout_indices())


def write_tuning_beir(folder: Path) -> int:
    return write_strategyqa_beir(folder, tuning_indices())


def write_xnli_tuning_beir(folder: Path) -> int:
    """KorNLI's XNLI dev pairs as retrieval: each entailed hypothesis is a query whose answer is its premise,
    among all premises. No training stage reads this file, so the encoder has not fitted it, unlike the
    StrategyQA tuning slice, whose rows the previous encoder version was fine-tuned on."""
    premises: dict[str, str] = {}
    queries: list[tuple[str, str, str]] = []
    with open(SHARED / "kornli-xnli-dev.tsv", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for row in reader:
            if len(row) < 3:
                continue
            pid = premises.setdefault(row[0], f"xnli-d{len(premises)}")
            if row[2] == "entailment":
                queries.append((f"xnli-q{len(queries)}", row[1], pid))
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as c, open(folder / "queries.jsonl", "w", encoding="utf-8") as q, open(folder / "qrels" / "test.tsv", "w", encoding="utf-8") as r:
        r.write("query-id\tcorpus-id\tscore\n")
        for text, pid in premises.items():
            c.write(json.dumps({"_id": pid, "title": "", "text": text}, ensure_ascii=False) + "\n")
        for qid, text, pid in queries:
            q.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
            r.write(f"{qid}\t{pid}\t1\n")
    return len(queries)


def clean_facts(text: str) -> str:
    return re.sub(r"사실\s*\d+\s*:\s*", "", text).replace("\n", " ").strip()


def korsts_pairs() -> list[tuple[str, str, float]]:
    pairs = []
    for name in ["korsts-train.tsv", "korsts-dev.tsv", "korsts-test.tsv"]:
        with open(SHARED / name, encoding="utf-8") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(reader)
            for row in reader:
                if len(row) >= 7:
                    try:
                        pairs.append((row[5], row[6], float(row[4])))
                    except ValueError:
                        pass
    return pairs


def klue_sts_pairs() -> list[tuple[str, str, float]]:
    rows = json.load(open(SHARED / "klue-sts-dev.json", encoding="utf-8"))
    return [(r["sentence1"], r["sentence2"], float(r["labels"]["label"])) for r in rows]


def klue_nli_rows() -> list[dict]:
    return json.load(open(SHARED / "klue-nli-dev.json", encoding="utf-8"))


def demo_passages() -> list[str]:
    files = sorted(glob.glob(str(DEMO / "corpus.jsonl"))) or sorted(glob.glob(str(DEMO / "_parts" / "part*-passages.jsonl")))
    out = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    out.append(row["text"])
    return out


def debian_prose(max_chars: int = 6_000_000) -> list[str]:
    """Korean paragraphs from Debian's HTML/XHTML help pages, tags stripped."""
    paragraphs: list[str] = []
    total = 0
    for base in DEBIAN_DOCS:
        for path in sorted(glob.glob(base + "/**/*", recursive=True)):
            if not re.search(r"\.(x?html?|xhp|txt)(\.gz)?$", path):
                continue
            try:
                if path.endswith(".gz"):
                    import gzip

                    raw = gzip.open(path, "rt", encoding="utf-8", errors="ignore").read()
                else:
                    raw = open(path, encoding="utf-8", errors="ignore").read()
            except OSError:
                continue
            raw = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", raw)
            for block in re.split(r"(?i)</?(?:p|li|h\d|div|td|para|title|br)[^>]*>", raw):
                text = html.unescape(re.sub(r"<[^>]+>", " ", block))
                text = re.sub(r"\s+", " ", text).strip()
                if len(text) >= 20 and len(HANGUL.findall(text)) >= len(text) * 0.3:
                    paragraphs.append(text)
                    total += len(text)
            if total >= max_chars:
                return paragraphs
    return paragraphs


def nsmc_reviews(max_chars: int) -> list[str]:
    """The first `max_chars` characters of NSMC reviews (read in place from ../shared, CC0): informal
    Korean, unlike the help pages and encyclopaedic facts elsewhere in the corpus."""
    import gzip

    path = SHARED / NSMC
    if not path.exists():
        return []
    out: list[str] = []
    total = 0
    with gzip.open(path, "rt", encoding="utf-8", errors="ignore") as f:
        for line in f:
            line = line.strip()
            if len(line) >= 10:
                out.append(line)
                total += len(line)
                if total >= max_chars:
                    break
    return out


def pretraining_texts(nsmc_chars: int = 0) -> list[str]:
    texts: list[str] = []
    train, _ = strategyqa_split()
    rows = strategyqa_rows()
    for i in train:
        texts.append(rows[i]["query"])
        texts.append(clean_facts(rows[i]["positive"]))
    for a, b, _ in korsts_pairs() + klue_sts_pairs():
        texts += [a, b]
    for r in klue_nli_rows():
        texts += [r["premise"], r["hypothesis"]]
    texts += demo_passages()
    texts += debian_prose()
    texts += nsmc_reviews(nsmc_chars)
    seen: set[str] = set()
    unique = []
    for t in texts:
        t = t.strip()
        if t and t not in seen:
            seen.add(t)
            unique.append(t)
    return unique


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def inverse_cloze_pairs(passages: list[str], rng: random.Random, min_sentences: int = 3) -> list[tuple[str, str]]:
    """Inverse cloze task (Lee et al., 2019): one sentence of a passage stands in for a question and the
    rest of the passage, without it, is its positive, so the pair can only be matched through meaning and
    shared entities, never by copying the sentence."""
    pairs = []
    for passage in passages:
        sentences = [s for s in SENTENCE_END.split(passage) if len(s) >= 8]
        if len(sentences) >= min_sentences:
            k = rng.randrange(len(sentences))
            rest = " ".join(sentences[:k] + sentences[k + 1 :])
            pairs.append((sentences[k], rest))
    return pairs


def retrieval_pairs(seed: int = 0, ict_chars: int = 1_500_000) -> list[tuple[str, str]]:
    """(query, passage) pairs for contrastive fine-tuning. Never includes held-out or tuning StrategyQA rows."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    rows = strategyqa_rows()
    for i in finetune_indices():
        pairs.append((rows[i]["query"], clean_facts(rows[i]["positive"])))
    for a, b, score in korsts_pairs():
        if score >= 4.0:
            pairs.append((a, b))
    for a, b, score in klue_sts_pairs():
        if score >= 4.0:
            pairs.append((a, b))
    for r in klue_nli_rows():
        if r["gold_label"] == "entailment":
            pairs.append((r["hypothesis"], r["premise"]))
    pairs += inverse_cloze_pairs(demo_passages() + debian_prose(ict_chars), rng)
    rng.shuffle(pairs)
    return pairs


def bigrams(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", text)
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def hard_negatives(pairs: list[tuple[str, str]], pool: list[str]) -> dict[str, str]:
    """For each query, the passage of `pool` (not its own) sharing the most character bigrams with it: the
    lexically confusable passage BM25 would rank high, used as an extra negative during fine-tuning."""
    index: dict[str, list[int]] = {}
    grams = [bigrams(p) for p in pool]
    for i, g in enumerate(grams):
        for b in g:
            index.setdefault(b, []).append(i)
    negatives: dict[str, str] = {}
    members = set(pool)
    for query, positive in pairs:
        if positive not in members:  # only questions whose passage comes from the same pool
            continue
        counts: dict[int, int] = {}
        for b in bigrams(query):
            postings = index.get(b, [])
            if len(postings) > max(10, len(pool) // 10):  # too common to tell passages apart
                continue
            for i in postings:
                counts[i] = counts.get(i, 0) + 1
        for i, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            if pool[i] != positive:
                negatives[query] = pool[i]
                break
    return negatives


def strategyqa_training_facts() -> list[str]:
    rows = strategyqa_rows()
    return [clean_facts(rows[i]["positive"]) for i in finetune_indices()]
