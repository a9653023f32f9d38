"""PyTorch's half of bench/group-norm.ts: prints {"forward": [ms...], "both": [ms...]} for group_norm
on [64, 64, 28, 28] (NCHW), 8 groups. Arguments: threads, runs."""
import json
import sys
import time

import torch

threads, runs = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(1)
x = torch.randn(64, 64, 28, 28, requires_grad=True)
gamma = torch.randn(64, requires_grad=True)
beta = torch.randn(64, requires_grad=True)


def forward():
    with torch.no_grad():
        torch.nn.functional.group_norm(x, 8, gamma, beta, 1e-3)


def both():
    torch.autograd.grad(torch.nn.functional.group_norm(x, 8, gamma, beta, 1e-3).sum(), [x, gamma, beta])


def timed(fn):
    fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


print(json.dumps({"forward": timed(forward), "both": timed(both)}))
