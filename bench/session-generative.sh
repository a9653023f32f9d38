#!/usr/bin/env bash
# One DCGAN epoch and one DDPM epoch on MNIST against PyTorch 1.13, in one sitting, as BENCHMARKS.md
# records them: pairs of one PyTorch process and one neurona process (one run each, so each peak RSS
# is its own process's), alternating (A B A B) so that a change in the machine's load hits both sides
# of a pair. Each run times 20 steps of batch 128 after 3 warm-up steps and extrapolates to the
# 469 steps of an epoch (bench/generative.ts explains). From the project root:
# `bash bench/session-generative.sh [out-dir] [pairs] [steps]` (defaults bench/results/<date>-generative, 3 pairs, 20 steps).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
OUT=${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)-generative}
PAIRS=${2:-3}
STEPS=${3:-20}
mkdir -p "$OUT"
cd "$ROOT"
log() { echo "== $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$OUT/log.txt"; }
for w in dcgan ddpm; do
  for pair in $(seq 1 "$PAIRS"); do
    log "torch $w pair $pair"; "$PY" bench/generative_torch.py --workload "$w" --steps "$STEPS" >> "$OUT/torch_$w.jsonl" 2>&1
    log "neurona $w pair $pair"; node --import tsx bench/generative.ts --workload "$w" --steps "$STEPS" >> "$OUT/nr_$w.jsonl" 2>&1
  done
done
log done
