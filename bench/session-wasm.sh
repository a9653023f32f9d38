#!/usr/bin/env bash
# The wasm backend against native (its own ISA and, with NEURONA_ISA=avx2, the AVX2 kernels on the same
# CPU), js and TF.js 4.22's wasm backend, one sitting, as BENCHMARKS.md records it (issue 22). Run from
# the project root on an idle machine: `bash bench/session-wasm.sh [out-dir]`. TF.js comes from
# $PEERS_DIR (default /tmp/peers: `npm install @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0`
# there) with the MNIST files of ../shared/bench/peers/README.md.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
P=${PEERS:-$ROOT/../shared/bench/peers}
OUT=${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)-wasm}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$ROOT"
log() { echo "== $(date +%T) $*" | tee -a "$OUT/log.txt"; }
nr() { node --import tsx bench/run.ts "$@"; }
uptime > "$OUT/uptime-start.txt"
log W1; nr W1 --sizes 1024 --threads 1,2 --backend wasm,native,js > "$OUT/w1-neurona.txt" 2>&1
NEURONA_ISA=avx2 nr W1 --sizes 1024 --threads 1,2 --backend native > "$OUT/w1-native-avx2.txt" 2>&1
log W2b; nr W2b --runs 1 --backend wasm,native,js > "$OUT/w2b-neurona.txt" 2>&1
NEURONA_ISA=avx2 nr W2b --runs 1 --backend native > "$OUT/w2b-native-avx2.txt" 2>&1
log W3; nr W3 --runs 1 --epochs 2 --backend wasm,native,js > "$OUT/w3-neurona.txt" 2>&1
NEURONA_ISA=avx2 nr W3 --runs 1 --epochs 2 --backend native > "$OUT/w3-native-avx2.txt" 2>&1
log W5; nr W5 --runs 1 --epochs 2 --backend wasm,native,js > "$OUT/w5-neurona.txt" 2>&1
NEURONA_ISA=avx2 nr W5 --runs 1 --epochs 2 --backend native > "$OUT/w5-native-avx2.txt" 2>&1
log tfjs wasm; (cd "$P" && node tfjs/gemm.js --backend wasm > "$OUT/w1-tfjs-wasm.txt" 2>&1
  node tfjs/mlp.js --backend wasm --model W2b --runs 1 > "$OUT/w2b-tfjs-wasm.txt" 2>&1
  node tfjs/cnn.js --backend wasm --model W3 --steps 1 --epochs 2 > "$OUT/w3-tfjs-wasm.txt" 2>&1
  node tfjs/cnn.js --backend wasm --model W5 --steps 1 --epochs 2 > "$OUT/w5-tfjs-wasm.txt" 2>&1)
uptime > "$OUT/uptime-end.txt"
log done
