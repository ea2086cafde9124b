#!/usr/bin/env bash
# Reproduces assets/models/saegim-dlm-mini-ko from scratch on a CPU: venv, data packages, tokenizer,
# masked-diffusion pre-training, MaxSim fine-tuning (stage 1), the token-weight and pooled heads on the frozen
# encoder (stage 2), the scoring rules and fusion weight chosen on training rows, ONNX checked against torch,
# model card.
#   bash tools/train/run.sh                      # seed 13, the shipped run's settings
#   bash tools/train/run.sh /tmp/other-dir       # same, into another folder
#   SAEGIM_BASE_MODEL=DIR bash tools/train/run.sh  # stage 2 only, on the encoder of an existing model folder
# Logs go to $SAEGIM_TRAIN_CACHE (default /tmp/saegim-train), never into the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${SAEGIM_TRAIN_CACHE:-/tmp/saegim-train}"
OUT="${1:-$ROOT/assets/models/saegim-dlm-mini-ko}"
mkdir -p "$CACHE"

apt-get install -y python3-torch python3-venv libreoffice-help-ko gimp-help-ko debian-faq-ko || { apt-get update && apt-get install -y python3-torch python3-venv libreoffice-help-ko gimp-help-ko debian-faq-ko; }
[ -x "$ROOT/.venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$ROOT/.venv"
"$ROOT/.venv/bin/pip" install -q -r "$ROOT/tools/requirements-train.txt"

# Debian's torch calls the reference BLAS through libblas.so.3 (about 2 GFLOP/s here). OpenBLAS, unpacked
# into the cache and put first on the library path for this process only, is ~30x faster and leaves the
# system's BLAS alternative untouched.
BLAS="$CACHE/openblas/root/usr/lib/x86_64-linux-gnu/openblas-pthread"
if [ ! -e "$BLAS/libblas.so.3" ]; then
  mkdir -p "$CACHE/openblas" && (cd "$CACHE/openblas" && apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb root)
fi
export LD_LIBRARY_PATH="$BLAS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" OPENBLAS_NUM_THREADS=2

cd "$ROOT/tools/train"
BASE="${SAEGIM_BASE_MODEL:-}"
if [ -z "$BASE" ]; then
  BASE="$CACHE/base"
  "$ROOT/.venv/bin/python" train.py --out "$BASE" --seed 13 --threads 2 \
    --pretrain-steps 400 --finetune-steps 500 --finetune-lr 8e-4 2>&1 | tee "$CACHE/train.log"
fi
# The encoder is frozen here: the heads train on its cached hidden states in minutes.
STAGE="$CACHE/heads"
rm -rf "$STAGE"
"$ROOT/.venv/bin/python" heads.py --base "$BASE" --out "$STAGE" --seed 13 --threads 2 --pooling attention --distill 1 --lr 3e-4 --epochs 10 2>&1 | tee "$CACHE/heads.log"
mkdir -p "$OUT" && cp "$STAGE"/* "$OUT"/
# Retrieval figures through the app's own CLI (needs `npm ci`, which builds the engine on first use).
(cd "$ROOT" && npm run --silent build:engine)
# Chooses the query scoring rule and the fusion weight on the tuning slice of training rows, writes them
# into encoder.json, and measures every variant in numpy beside BM25.
"$ROOT/.venv/bin/python" pyeval.py "$OUT" --choose 2>&1 | tee "$CACHE/pyeval.log"
"$ROOT/.venv/bin/python" evaluate.py "$OUT"
"$ROOT/.venv/bin/python" model_card.py "$OUT"
