#!/usr/bin/env bash
# W9/W10 side by side with PyTorch in one sitting, as BENCHMARKS.md records them: pairs of one PyTorch
# process and one neurona process (one run each, so each peak RSS is its own process's), alternating
# (A B A B) so that a change in the machine's load hits both sides of a pair. The pairing and logging
# are session-w7w8.sh's; only the workloads, the pair count and the folder differ. From the project
# root: `bash bench/session-w9w10.sh [out-dir] [pairs]` (defaults bench/results/<date>-w9w10, 3 pairs).
# The loss-curve comparison is separate: bench/sequence-curves.py, then bench/sequence-curves.ts.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$ROOT/bench/session-w7w8.sh" "${1:-$ROOT/bench/results/$(date +%Y%m%d)-w9w10}" "${2:-3}" "W9 W10"
