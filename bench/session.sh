#!/usr/bin/env bash
# One comparison session, as BENCHMARKS.md records it: the peers and neurona back to back on an
# otherwise idle machine. Run from the project root: `bash bench/session.sh [out-dir]`.
# Needs the peers' setup of ../shared/bench/peers/README.md section 1 (PyTorch from Debian, TF.js in
# $PEERS_DIR, the MNIST binaries) and, for PyTorch's OpenBLAS configuration, OPENBLAS_DIR pointing at
# an unpacked libopenblas0-pthread (see BENCHMARKS.md); without it PyTorch uses the BLAS it finds.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
P=${PEERS:-$ROOT/../shared/bench/peers}
OUT=${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)}
OB=${OPENBLAS_DIR:-/tmp/oblas/root/usr/lib/x86_64-linux-gnu/openblas-pthread}
T="$P/torch/bench_torch.py"
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)  # absolute: the TF.js runs below work from the peers' folder
cd "$ROOT"
log() { echo "== $(date +%T) $*" | tee -a "$OUT/log.txt"; }
torch() { LD_LIBRARY_PATH=$OB "$PY" "$T" "$@"; }
log peak; gcc -O3 -march=native -pthread "$P/peak/peak.c" -o "$OUT/peak" && "$OUT/peak" > "$OUT/peak.txt" 2>&1
log torch W1; for t in 1 2; do torch --threads $t --workload W1 > "$OUT/torch_w1_$t.jsonl" 2>&1; done
log neurona W1; node --import tsx bench/run.ts W1 --backend native --threads 1,2 > "$OUT/nr_w1_native.txt" 2>&1
log torch W2 W2b; for w in W2 W2b; do torch --threads 2 --blas-threads 1 --tag=-blas1 --workload $w --runs 3 > "$OUT/torch_${w}_2t.jsonl" 2>&1; done
log neurona W2 W2b; node --import tsx bench/run.ts W2 W2b --backend native --runs 3 > "$OUT/nr_w2_native.txt" 2>&1
log torch W3 W4 W5; for w in W3 W4 W5; do torch --threads 2 --blas-threads 1 --tag=-blas1 --workload $w --runs 3 > "$OUT/torch_${w}_2t.jsonl" 2>&1; done
log neurona W3 W4 W5; node --import tsx bench/run.ts W3 W4 W5 --backend native --runs 3 > "$OUT/nr_cnn_native.txt" 2>&1
log tfjs cpu; (cd "$P" && node tfjs/gemm.js --backend cpu > "$OUT/tfjs_w1_cpu.jsonl" 2>&1
  node tfjs/mlp.js --backend cpu --model W2 --runs 3 > "$OUT/tfjs_w2_cpu.jsonl" 2>&1
  node tfjs/mlp.js --backend cpu --model W2b --runs 1 > "$OUT/tfjs_w2b_cpu.jsonl" 2>&1
  node tfjs/cnn.js --backend cpu --model W3 --steps 1 --epochs 3 > "$OUT/tfjs_w3_cpu.jsonl" 2>&1
  node tfjs/cnn.js --backend cpu --model W4 --steps 1 --epochs 3 > "$OUT/tfjs_w4_cpu.jsonl" 2>&1
  node tfjs/cnn.js --backend cpu --model W5 --steps 2 --epochs 3 > "$OUT/tfjs_w5_cpu.jsonl" 2>&1)
log neurona js; node --import tsx bench/run.ts W1 W2 W2b --backend js --runs 3 > "$OUT/nr_js_mlp.txt" 2>&1
node --import tsx bench/run.ts W3 W4 W5 --backend js --runs 1 > "$OUT/nr_js_cnn.txt" 2>&1
log done
