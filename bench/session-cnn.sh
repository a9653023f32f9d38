#!/usr/bin/env bash
# W3, W4 and W5 side by side with PyTorch, as BENCHMARKS.md records them for issue 24: pairs of one
# PyTorch process and one neurona process per workload, alternating, each process's peak RSS beside its
# figures (neurona's rows carry peak_rss_mib; PyTorch's is GNU time's, in torch_<w>.rss). The pairing
# and logging are session-w7w8.sh's. From the project root: `bash bench/session-cnn.sh [out-dir]
# [pairs]` (defaults bench/results/<date>-cnn, 3 pairs). W5 reads the peers' MNIST binaries
# (../shared/bench/peers/README.md section 1). Before and after the pairs, bench/drift.ts times one fixed
# kernel call in epoch-long windows (drift.jsonl): the machine's own spread, the floor under the epochs'.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)-cnn}
mkdir -p "$OUT"
drift() { (cd "$ROOT" && node --import tsx bench/drift.ts) >> "$OUT/drift.jsonl" 2>&1; }
drift
bash "$ROOT/bench/session-w7w8.sh" "$OUT" "${2:-3}" "W3 W4 W5"
drift
