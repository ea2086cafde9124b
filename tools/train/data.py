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
DEBIAN_DOCS = ["/usr/share/libreoffice/help/ko", "/usr/share/gimp/2.0/help/ko", "/usr/share/doc/debian-faq-ko", "/usr/share/doc/HTML/ko"]

HOLDOUT_SEED = 20261125
HOLDOUT_SHARE = 0.2
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


def heldout_indices() -> list[int]:
    """Line indices (0-based) of strategyqa-ko-train.jsonl that training never sees."""
    return strategyqa_split()[1]


def write_heldout_beir(folder: Path) -> int:
    """The held-out rows as a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv): one passage of
    facts per question, so retrieval over it is judged on questions the encoder was not trained on."""
    rows = strategyqa_rows()
    held = heldout_indices()
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w", encoding="utf-8") as c, open(folder / "queries.jsonl", "w", encoding="utf-8") as q, open(folder / "qrels" / "test.tsv", "w", encoding="utf-8") as r:
        r.write("query-id\tcorpus-id\tscore\n")
        for i in held:
            c.write(json.dumps({"_id": f"sqa-d{i}", "title": "", "text": clean_facts(rows[i]["positive"])}, ensure_ascii=False) + "\n")
            q.write(json.dumps({"_id": f"sqa-q{i}", "text": rows[i]["query"]}, ensure_ascii=False) + "\n")
            r.write(f"sqa-q{i}\tsqa-d{i}\t1\n")
    return len(held)


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


def pretraining_texts() -> list[str]:
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
    seen: set[str] = set()
    unique = []
    for t in texts:
        t = t.strip()
        if t and t not in seen:
            seen.add(t)
            unique.append(t)
    return unique


def retrieval_pairs(seed: int = 0) -> list[tuple[str, str]]:
    """(query, passage) pairs for contrastive fine-tuning. Never includes held-out StrategyQA rows."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    rows = strategyqa_rows()
    train, _ = strategyqa_split()
    for i in train:
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
    # Inverse cloze: one sentence stands in for a question about the rest of its passage.
    for passage in demo_passages() + debian_prose(1_500_000):
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", passage) if len(s) >= 8]
        if len(sentences) >= 3:
            k = rng.randrange(len(sentences))
            rest = " ".join(sentences[:k] + sentences[k + 1 :])
            pairs.append((sentences[k], rest))
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
    train, _ = strategyqa_split()
    return [clean_facts(rows[i]["positive"]) for i in train]
