#!/usr/bin/python3
"""PyTorch 1.13 (Debian's /usr/bin/python3) side of bench/generative.ts: one training step of the
DCGAN and of the DDPM of `neurona train dcgan` / `neurona train diffusion`, same layers, shapes,
losses and optimizers, float32, batch 128, timed as bench/generative.ts times them.

Usage: /usr/bin/python3 bench/generative_torch.py --workload dcgan|ddpm [--steps 20] [--runs 1]
                                                   [--threads 2] [--blas-threads 1]
Threads as the peers' scripts set them (../shared/bench/peers/torch/bench_torch_w7_w10.py).
Images are uniform random pixels in [-1, 1] of MNIST's shape (speed does not depend on the digits);
3 warm-up steps, then `steps` timed; the epoch figure extrapolates the median step to MNIST's 60,000
training images (469 steps of 128). One JSON line per run, the first line gives the versions.

dcgan: generator Dense(100 -> 7*7*128, no bias), BatchNorm, LeakyReLU(0.2), ConvTranspose(128 -> 64,
       4, stride 2, no bias), BatchNorm, LeakyReLU, ConvTranspose(64 -> 1, 4, stride 2), tanh;
       discriminator Conv(1 -> 64, 4, stride 2), LeakyReLU, Conv(64 -> 128, 4, stride 2), LeakyReLU,
       Dense(6272 -> 1). One step: a discriminator step on 128 real + 128 generated images (BCE from
       logits), then a generator step on 128 fresh z; Adam(2e-4, beta1 0.5) for each.
ddpm:  the small U-Net of src/cli/jobs/diffusion.ts at width 32 (GroupNorm 8 groups, SiLU, timestep
       embedding: sinusoidal 128 -> Dense 128 swish, Dense per residual block), T = 1000 linear betas,
       epsilon prediction, MSE, Adam(2e-4).
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument('--workload', default='dcgan', choices=['dcgan', 'ddpm'])
ap.add_argument('--steps', type=int, default=20)
ap.add_argument('--runs', type=int, default=1)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--blas-threads', type=int, default=1)
args = ap.parse_args()
os.environ['OMP_NUM_THREADS'] = str(args.threads)
os.environ['OPENBLAS_NUM_THREADS'] = str(args.blas_threads or args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
print(json.dumps({'info': {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'python': sys.version.split()[0]}}))

BATCH = 128
EPOCH_STEPS = math.ceil(60000 / BATCH)
LATENT = 100
WIDTH_GAN = 64
WIDTH_UNET = 32
T = 1000


def generator():
    w = WIDTH_GAN
    return nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 2 * w, bias=False), nn.BatchNorm1d(7 * 7 * 2 * w, eps=1e-3, momentum=0.01), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (2 * w, 7, 7)),
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w, eps=1e-3, momentum=0.01), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh())


def discriminator():
    w = WIDTH_GAN
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(2 * w * 7 * 7, 1))


def dcgan_step():
    g, d = generator(), discriminator()
    g_opt = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    d_opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    real = torch.rand(BATCH, 1, 28, 28) * 2 - 1
    labels = torch.cat([torch.ones(BATCH, 1), torch.zeros(BATCH, 1)])

    def step():
        with torch.no_grad():
            fake = g(torch.randn(BATCH, LATENT))
        d_opt.zero_grad()
        d_loss = F.binary_cross_entropy_with_logits(d(torch.cat([real, fake])), labels)
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = F.binary_cross_entropy_with_logits(d(g(torch.randn(BATCH, LATENT))), torch.ones(BATCH, 1))
        g_loss.backward()
        g_opt.step()
        return d_loss.item() + g_loss.item()
    return step


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = t[:, None].float() * freqs[None, :]
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)


class Residual(nn.Module):
    def __init__(self, cin, cout, emb):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(8, cin, eps=1e-3), nn.Conv2d(cin, cout, 3, padding=1)
        self.step = nn.Linear(emb, cout)
        self.n2, self.c2 = nn.GroupNorm(8, cout, eps=1e-3), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x, e):
        h = self.c1(F.silu(self.n1(x))) + self.step(e)[:, :, None, None]
        return self.c2(F.silu(self.n2(h))) + self.skip(x)


class UNet(nn.Module):
    def __init__(self, w=WIDTH_UNET):
        super().__init__()
        self.emb = nn.Linear(4 * w, 4 * w)
        self.stem = nn.Conv2d(1, w, 3, padding=1)
        self.r28 = Residual(w, w, 4 * w)
        self.down1 = nn.Conv2d(w, w, 3, 2, 1)
        self.r14 = Residual(w, 2 * w, 4 * w)
        self.down2 = nn.Conv2d(2 * w, 2 * w, 3, 2, 1)
        self.r7 = Residual(2 * w, 2 * w, 4 * w)
        self.r14_up = Residual(4 * w, 2 * w, 4 * w)
        self.r28_up = Residual(3 * w, w, 4 * w)
        self.norm, self.out = nn.GroupNorm(8, w, eps=1e-3), nn.Conv2d(w, 1, 3, padding=1)

    def forward(self, x, temb):
        e = F.silu(self.emb(temb))
        full = self.r28(self.stem(x), e)
        half = self.r14(self.down1(full), e)
        quarter = self.r7(self.down2(half), e)
        up = F.interpolate(quarter, scale_factor=2, mode='nearest')
        half_up = self.r14_up(torch.cat([up, half], 1), e)
        up = F.interpolate(half_up, scale_factor=2, mode='nearest')
        full_up = self.r28_up(torch.cat([up, full], 1), e)
        return self.out(F.silu(self.norm(full_up)))


def ddpm_step():
    net = UNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, eps=1e-7)
    betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    alpha_bars = torch.cumprod(1 - betas, 0).float()
    x0 = torch.rand(BATCH, 1, 28, 28) * 2 - 1

    def step():
        t = torch.randint(0, T, (BATCH,))
        noise = torch.randn_like(x0)
        ab = alpha_bars[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        opt.zero_grad()
        loss = F.mse_loss(net(xt, timestep_embedding(t, 4 * WIDTH_UNET)), noise)
        loss.backward()
        opt.step()
        return loss.item()
    return step


for run in range(args.runs):
    torch.manual_seed(run)
    step = dcgan_step() if args.workload == 'dcgan' else ddpm_step()
    times = []
    for i in range(3 + args.steps):
        t0 = time.perf_counter()
        loss = step()
        if i >= 3:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({'workload': args.workload, 'library': 'torch', 'threads': args.threads, 'run': run, 'batch': BATCH,
                      'steps': args.steps, 'median_step_s': round(med, 4), 'epoch_s': round(med * EPOCH_STEPS, 1),
                      'images_per_s': round(BATCH / med, 1), 'last_loss': round(loss, 4),
                      'peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
