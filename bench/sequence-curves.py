#!/usr/bin/python3
"""The PyTorch half of "same loss curve for the same initial weights" (issue 18, W9 and W10).

Usage (Debian's interpreter, torch 1.13): /usr/bin/python3 bench/sequence-curves.py [out-dir] [--steps 100]
then `node --import tsx bench/sequence-curves.ts [out-dir]` trains neurona from the same start.

For W9 and W10 it builds the model of ../shared/bench/peers/torch/bench_torch_w7_w10.py (same classes,
torch.manual_seed(0)), and writes to out-dir (default /tmp/neurona-sequence-curves):
  <W>.bin   the initial weights, float32 little-endian, one tensor after another (PyTorch's layouts);
  <W>.json  the tensors' names, shapes and offsets, a token stream, the start of every batch row of every
            step, the hyper-parameters, and PyTorch's loss per step under two optimizers:
            'torch'       torch.optim.Adam, as the benchmark runs it (epsilon added to sqrt(v / (1 - b2^t)));
            'keras_adam'  Keras's update (epsilon added to sqrt(v), the bias correction in the step size),
                          which is what neurona's Adam does: the curve to compare the math with.
The stream is a fixed random Markov chain (each token has 4 possible successors), so the loss falls
from ln 64 instead of sitting there as on uniform tokens. Batch row r of step s is
x = stream[o : o + 64], y = stream[o + 1 : o + 65] with o = offsets[s][r].

One change from the benchmark's model, so that both libraries train the same function of the same
parameters: nn.LSTM has two bias vectors (b_ih, b_hh) that always get the same gradient, so Adam
moves their sum twice as far as Keras's single bias. Here b_hh is folded into b_ih and frozen at 0.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)

args = [a for a in sys.argv[1:]]
steps = 100
if '--steps' in args:
    i = args.index('--steps')
    steps = int(args[i + 1])
    del args[i:i + 2]
out = args[0] if args else '/tmp/neurona-sequence-curves'
os.makedirs(out, exist_ok=True)
VOCAB, CTX = 64, 64


class GPT(nn.Module):
    def __init__(self, vocab=64, ctx=64, width=128, heads=4, layers=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(ctx, width) * 0.02)
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0,
                                     activation='gelu', batch_first=True, norm_first=True) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)
        self.register_buffer('mask', torch.triu(torch.full((ctx, ctx), float('-inf')), 1))

    def forward(self, x):
        h = self.tok(x) + self.pos[: x.shape[1]]
        for b in self.blocks:
            h = b(h, src_mask=self.mask)
        return self.head(self.norm(h))


class CharLSTM(nn.Module):
    def __init__(self, vocab=64, emb=64, units=256):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, units, batch_first=True)
        self.out = nn.Linear(units, vocab)

    def forward(self, x):
        return self.out(self.lstm(self.emb(x))[0])


class KerasAdam(torch.optim.Optimizer):
    """Keras 3's (and neurona's) Adam: alpha = lr sqrt(1 - b2^t) / (1 - b1^t), w -= alpha m / (sqrt(v) + eps)."""

    def __init__(self, params, lr, eps, betas=(0.9, 0.999)):
        super().__init__(params, {'lr': lr, 'eps': eps, 'betas': betas})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group['betas']
            for p in group['params']:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st['t'], st['m'], st['v'] = 0, torch.zeros_like(p), torch.zeros_like(p)
                st['t'] += 1
                t, m, v = st['t'], st['m'], st['v']
                m.add_((p.grad - m) * (1 - b1))
                v.add_((p.grad * p.grad - v) * (1 - b2))
                alpha = group['lr'] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                p.addcdiv_(m, v.sqrt().add_(group['eps']), value=-alpha)


def token_stream(n, seed=0):
    rng = np.random.RandomState(seed)
    succ = np.stack([rng.choice(VOCAB, 4, replace=False) for _ in range(VOCAB)])
    probs = rng.dirichlet(np.ones(4), VOCAB)
    cum, u = np.cumsum(probs, axis=1), rng.random_sample(n)
    s = [0]
    for i in range(1, n):
        s.append(int(succ[s[-1], min(3, np.searchsorted(cum[s[-1]], u[i]))]))
    return np.array(s, dtype=np.int64)


def curve(w, model, initial, opt_cls, lr, batches):
    model.load_state_dict(initial)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = opt_cls(params, lr=lr, eps=1e-7)
    losses = []
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(f'{w} {opt_cls.__name__}: loss {losses[0]:.4f} -> {losses[-1]:.4f}', flush=True)
    return losses


stream = token_stream(1 << 15)
for w in ('W9', 'W10'):
    torch.manual_seed(0)
    model = CharLSTM() if w == 'W9' else GPT()
    if w == 'W9':
        with torch.no_grad():
            model.lstm.bias_ih_l0 += model.lstm.bias_hh_l0
            model.lstm.bias_hh_l0.zero_()
        model.lstm.bias_hh_l0.requires_grad_(False)
    batch, lr = (64, 1e-3) if w == 'W9' else (32, 3e-4)
    rng = np.random.RandomState(1 if w == 'W9' else 2)
    offsets = rng.randint(0, len(stream) - CTX - 1, (steps, batch))
    batches = [(torch.from_numpy(np.stack([stream[o:o + CTX] for o in row])),
                torch.from_numpy(np.stack([stream[o + 1:o + CTX + 1] for o in row]))) for row in offsets]
    initial = {k: v.clone() for k, v in model.state_dict().items() if k != 'mask'}
    tensors, offset, blobs = [], 0, []
    for name, t in initial.items():
        a = t.detach().numpy().astype('<f4')
        tensors.append({'name': name, 'shape': list(a.shape), 'offset': offset})
        offset += a.size
        blobs.append(a.ravel())
    np.concatenate(blobs).tofile(os.path.join(out, f'{w}.bin'))
    state = dict(initial, mask=model.mask) if w == 'W10' else initial
    losses = {'torch': curve(w, model, state, torch.optim.Adam, lr, batches),
              'keras_adam': curve(w, model, state, KerasAdam, lr, batches)}
    with open(os.path.join(out, f'{w}.json'), 'w') as f:
        json.dump({'workload': w, 'torch': torch.__version__, 'batch': batch, 'context': CTX, 'vocabulary': VOCAB,
                   'learning_rate': lr, 'epsilon': 1e-7, 'steps': steps, 'tensors': tensors,
                   'stream': stream.tolist(), 'offsets': offsets.tolist(), 'losses': losses}, f)
print(f'wrote {out}/W9.{{bin,json}} and {out}/W10.{{bin,json}}')
