#!/usr/bin/env bash
# W1 (a fresh n x n product through nr.matmul) against the machine's peak and against PyTorch's BLAS, as
# BENCHMARKS.md records it for issue 24: peak.c before and after, and in between alternating rounds of
# PyTorch's W1 (the peers' bench_torch.py: torch.mm, which Debian's python3-torch runs on OpenBLAS) and
# neurona's (`bench/run.ts W1`) on 1 and 2 threads, neurona's native backend on its AVX-512 kernels and on
# its AVX2 ones (NEURONA_ISA=avx2), then bench/probes/gemm-phases.cc (where a product's time goes). From
# the project root: `bash bench/session-w1.sh [out-dir] [rounds]` (defaults bench/results/<date>-w1, 3).
# Needs cc and g++ (peak.c and the probe are built into a temporary directory) and an AVX-512 CPU;
# bench/session-w1-summary.py then writes summary.txt (shares of peak, neurona over PyTorch).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAIN=$(dirname "$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir)")
PEERS=${PEERS:-$MAIN/../shared/bench/peers}
PY=${PYTHON:-/usr/bin/python3}
OUT=${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)-w1}
ROUNDS=${2:-3}
SIZES=1024,2048
mkdir -p "$OUT"
cd "$ROOT"
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
cc -O3 -march=native -pthread "$PEERS/peak/peak.c" -o "$BIN/peak"
g++ -std=c++17 -O3 -mavx512f -mavx2 -mfma -pthread -Inative/kernels bench/probes/gemm-phases.cc \
  native/kernels/thread_pool.cc -o "$BIN/gemm-phases"
log() { echo "== $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$OUT/log.txt"; }
log "peak before"; "$BIN/peak" >> "$OUT/peak.txt" 2>&1
for round in $(seq 1 "$ROUNDS"); do
  for threads in 1 2; do
    log "torch W1 $threads thread(s) round $round"
    "$PY" "$PEERS/torch/bench_torch.py" --threads "$threads" --workload W1 --sizes "$SIZES" >> "$OUT/torch_W1.jsonl" 2>&1
  done
  log "neurona W1 round $round"
  node --import tsx bench/run.ts W1 --backend native --threads 1,2 --sizes "$SIZES" >> "$OUT/nr_W1.txt" 2>&1
  log "neurona W1 avx2 round $round"
  NEURONA_ISA=avx2 node --import tsx bench/run.ts W1 --backend native --threads 1,2 --sizes "$SIZES" >> "$OUT/nr_W1_avx2.txt" 2>&1
done
log "gemm-phases"; "$BIN/gemm-phases" 1024 >> "$OUT/phases.txt" 2>&1
log "peak after"; "$BIN/peak" >> "$OUT/peak.txt" 2>&1
log done
"${PY}" bench/session-w1-summary.py "$OUT" | tee "$OUT/summary.txt"
