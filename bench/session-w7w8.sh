#!/usr/bin/env bash
# W7/W8 side by side with PyTorch, as BENCHMARKS.md records them: each pair is one PyTorch process and
# one neurona process (one run each, so each peak RSS is its own process's), interleaved so that a
# change in the machine's load hits both sides of a pair. Run from the project root:
# `bash bench/session-w7w8.sh [out-dir] [pairs] [workloads]` (defaults: 2 pairs of W7 W8a W8b).
# W3-W5 run the peers' bench_torch.py (2 threads, BLAS on 1, as BENCHMARKS.md's CNN sittings), whose
# lines carry no peak RSS: GNU time's %M of each of its processes goes to torch_<w>.rss.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# The peers sit in ../shared beside the main checkout (a worktree's own parent has none).
MAIN=$(dirname "$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir)")
PEER_DIR=${PEERS:-$MAIN/../shared/bench/peers}/torch
PY=${PYTHON:-/usr/bin/python3}
OUT=${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)-w7w8}
PAIRS=${2:-2}
mkdir -p "$OUT"
cd "$ROOT"
log() { echo "== $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) $*" | tee -a "$OUT/log.txt"; }
torch() {
  case "$1" in
    W3 | W4 | W5)
      /usr/bin/time -f "peak_rss_kb %M" -a -o "$OUT/torch_$1.rss" \
        "$PY" "$PEER_DIR/bench_torch.py" --threads 2 --blas-threads 1 --tag=-blas1 --workload "$1" --runs 1 ;;
    *) "$PY" "$PEER_DIR/bench_torch_w7_w10.py" --workload "$1" --runs 1 ;;
  esac
}
for w in ${3:-W7 W8a W8b}; do
  for pair in $(seq 1 "$PAIRS"); do
    log "torch $w pair $pair"; torch "$w" >> "$OUT/torch_$w.jsonl" 2>&1
    log "neurona $w pair $pair"; node --import tsx bench/run.ts "$w" --backend native --runs 1 >> "$OUT/nr_$w.txt" 2>&1
  done
done
log done
