#!/usr/bin/env bash
# Reproduces assets/models/saegim-dlm-mini-ko from scratch on a CPU: venv, data packages, tokenizer,
# masked-diffusion pre-training, MaxSim fine-tuning, ONNX export checked against torch, model card.
#   bash tools/train/run.sh            # seed 13, the shipped run's settings
# Logs go to $SAEGIM_TRAIN_CACHE (default /tmp/saegim-train), never into the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${SAEGIM_TRAIN_CACHE:-/tmp/saegim-train}"
OUT="${1:-$ROOT/assets/models/saegim-dlm-mini-ko}"
mkdir -p "$CACHE"

apt-get install -y python3-torch python3-venv libreoffice-help-ko gimp-help-ko
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
"$ROOT/.venv/bin/python" train.py --out "$OUT" --seed 13 --threads 2 \
  --pretrain-steps 400 --finetune-steps 500 --finetune-lr 8e-4 2>&1 | tee "$CACHE/train.log"
# Retrieval figures through the app's own CLI (needs `npm ci`, which builds the engine on first use).
(cd "$ROOT" && npm run --silent build:engine)
"$ROOT/.venv/bin/python" evaluate.py "$OUT"
"$ROOT/.venv/bin/python" model_card.py "$OUT"
