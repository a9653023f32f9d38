#!/usr/bin/env bash
# W3, W4 and W5 side by side with PyTorch, as BENCHMARKS.md records them for issue 24: per round,
# one PyTorch process and then one neurona process for each workload (alternating, so that a drift of
# the machine's speed touches both), each process's peak RSS beside its figures. Run from the project
# root: `bash bench/session-cnn.sh [out-dir] [rounds] ["W3 W4 W5"]`. Needs Debian's PyTorch
# (/usr/bin/python3, python3-torch, libopenblas0-pthread) and, for W5, the peers' MNIST binaries
# (../shared/bench/peers/README.md section 1). Lines go to torch.jsonl / neurona.jsonl in out-dir, with
# PyTorch's peak RSS (GNU time's %M, whole process) in torch_rss.txt.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
P=${PEERS:-$ROOT/../shared/bench/peers}
OUT=${1:-$ROOT/bench/results/$(date +%Y%m%d-%H%M)-cnn}
ROUNDS=${2:-3}
WORKLOADS=${3:-W3 W4 W5}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT"
cd "$ROOT"
log() { echo "== $(date +%T) $*" | tee -a "$OUT/log.txt"; }
for round in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    log "round $round torch $w"
    /usr/bin/time -f "$w round $round peak_rss_kb %M" -a -o "$OUT/torch_rss.txt" \
      "$PY" "$P/torch/bench_torch.py" --threads 2 --blas-threads 1 --tag=-blas1 --workload "$w" --runs 1 \
      2>>"$OUT/log.txt" | grep '^{' >> "$OUT/torch.jsonl"
    log "round $round neurona $w"
    node --import tsx bench/run.ts "$w" --backend native --runs 1 2>>"$OUT/log.txt" | grep '^{' >> "$OUT/neurona.jsonl"
  done
done
log done
