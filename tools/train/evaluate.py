"""Measures a model folder with `saegim eval` and writes evaluation.json beside it for the model card.

    python tools/train/evaluate.py assets/models/saegim-dlm-mini-ko

Runs the demo queries (all, paraphrase and lexical splits) and the held-out 20% of StrategyQA-ko (written
as a BEIR folder first) through the app's own CLI on a fresh database, so the figures are the ones a user
gets. Needs the engine built (`npm run build:engine`).
"""
from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from data import write_heldout_beir

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "bin" / "saegim"


def saegim_eval(dataset: Path, model: Path, db: Path, split: str, name: str, extra: list[str] | None = None) -> dict:
    cmd = [str(CLI), "eval", str(dataset), "--model", str(model), "--db", str(db), "--split", split, "--name", name, "--json", *(extra or [])]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    model = Path(sys.argv[1]).resolve()
    demo = ROOT / "assets" / "datasets" / "demo-ko"
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "eval.db"
        heldout = Path(tmp) / "strategyqa-ko-heldout"
        write_heldout_beir(heldout)
        for label, dataset, split, name in [
            ("demo-ko, all queries", demo, "test", "demo-ko"),
            ("demo-ko, paraphrase split", demo, "paraphrase", "demo-ko"),
            ("demo-ko, lexical split", demo, "lexical", "demo-ko"),
            ("StrategyQA-ko held-out 20%", heldout, "test", "strategyqa-ko-heldout"),
        ]:
            started = time.time()
            result = saegim_eval(dataset, model, db, split, name)
            # The engine's defaults follow encoder.json (query skiplist, pooled SVR, recorded fusion); the
            # plain rule and reciprocal-rank fusion are measured beside them in the same database.
            plain = saegim_eval(dataset, model, db, split, name, ["--methods", "mvr,bm25,hybrid", "--query-scoring", "plain", "--fusion", "rrf"])
            methods = dict(result["methods"])
            methods["mvr:plain"] = plain["methods"]["mvr"]
            methods["hybrid:rrf+plain"] = plain["methods"]["hybrid"]
            runs.append({
                "label": label,
                "split": split,
                "queries": result["queries"],
                "methods": methods,
                "scoring": {"queryScoring": result.get("queryScoring"), "fusion": result.get("fusion"), "pooling": result.get("pooling")},
                "seconds": round(time.time() - started, 1),
            })
            print(label, json.dumps({m: round(v["ndcg@10"], 3) for m, v in methods.items()}), flush=True)
    out = {"runs": runs, "machine": f"{platform.machine()} CPU", "date": time.strftime("%Y-%m-%d")}
    (model / "evaluation.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {model / 'evaluation.json'}")


if __name__ == "__main__":
    main()
