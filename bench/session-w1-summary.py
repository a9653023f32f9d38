"""Summarizes a bench/session-w1.sh directory: per library, thread count and size, the best GFLOP/s of
each round (and their median) as a share of peak.c's best for the same ISA and thread count (the mean
of its runs before and after), and neurona's median of bests over PyTorch's.
Usage: python3 bench/session-w1-summary.py <dir>"""
import json
import re
import statistics
import sys

out = sys.argv[1]
peaks = {}
for line in open(f'{out}/peak.txt'):
    m = re.match(r'(avx512|avx2)\s+threads=(\d+)\s+best ([\d.]+)', line)
    if m:
        peaks.setdefault((m[1], int(m[2])), []).append(float(m[3]))
peak = {key: statistics.mean(v) for key, v in peaks.items()}
print('peak.c best GFLOP/s (before, after):', {f'{isa} {t}t': v for (isa, t), v in sorted(peaks.items())})
rows = {}
for line in open(f'{out}/torch_W1.jsonl'):
    if '"peer"' in line:
        d = json.loads(line)
        rows.setdefault(('PyTorch (OpenBLAS)', 'avx512', int(d['peer'].split('-')[1][0]), d['n']), []).append(d['best_gflops'])
for name, label, isa in (('nr_W1.txt', 'neurona AVX-512', 'avx512'), ('nr_W1_avx2.txt', 'neurona AVX2', 'avx2')):
    for line in open(f'{out}/{name}'):
        p = line.split()
        if len(p) == 7 and p[0] == 'W1' and p[2] == 'op':
            rows.setdefault((label, isa, int(p[3]), int(p[4])), []).append(float(p[6]))
best = {}
for (label, isa, threads, n), v in sorted(rows.items()):
    best[(label, threads, n)] = statistics.median(v)
    share = 100 * best[(label, threads, n)] / peak[(isa, threads)]
    print(f'{label:20} {threads}t {n}: best per round {v}, median {best[(label, threads, n)]:.1f} = {share:.0f} % of {isa} peak')
for (label, threads, n), b in sorted(best.items()):
    if label == 'neurona AVX-512':
        print(f'neurona / PyTorch {threads}t {n}: {b / best[("PyTorch (OpenBLAS)", threads, n)]:.2f}')
