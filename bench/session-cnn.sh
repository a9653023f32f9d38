#!/usr/bin/env bash
# W3, W4 and W5 side by side with PyTorch, as BENCHMARKS.md records them for issue 24: pairs of one
# PyTorch process and one neurona process per workload, alternating, each process's peak RSS beside its
# figures (neurona's rows carry peak_rss_mib; PyTorch's is GNU time's, in torch_<w>.rss). The pairing
# and logging are session-w7w8.sh's. From the project root: `bash bench/session-cnn.sh [out-dir]
# [pairs]` (defaults bench/results/<date>-cnn, 3 pairs). W5 reads the peers' MNIST binaries
# (../shared/bench/peers/README.md section 1).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$ROOT/bench/session-w7w8.sh" "${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)-cnn}" "${2:-3}" "W3 W4 W5"
