#!/usr/bin/env python3
"""Generates src/__fixtures__/weight-averaging-torch.json: torch.lerp, an EMA of weights and airbench-style
Lookahead over a few steps, with torch 1.13.

Run from packages/train with Debian's torch 1.13:  /usr/bin/python3 scripts/weight-averaging-fixture.py

Two versions of every lerp are stored:
- `torch`: what torch.lerp / Tensor.lerp_ returned on this machine. Debian's x86-64 build (like CUDA builds)
  lets the compiler fuse the kernel's `a + w*(b - a)` into a fused multiply-add, i.e. one rounding;
- `unfused`: the same formula with every float32 operation rounded separately (numpy float32), which is what a
  chain of tf ops computes and the contract of @cnn/train's lerp / the CnnEmaUpdate kernel:
      w < 0.5 ? a + w*(b - a) : b - (b - a)*(1 - w).
The two agree to one float32 ulp per lerp.

Trajectory: a "model" with the weights of a Dense(4) on 3 inputs and a BatchNorm over 4 features (kernel, bias,
gamma, beta, moving_mean, moving_variance). At step t the "optimizer" adds a fixed float32 delta_t to every
weight (recorded); then
- EMA: ema <- lerp(ema, w, 1 - decay) every step (timm ModelEmaV3's update), decay 0.9;
- Lookahead (airbench94): every k = 5 steps slow <- lerp(slow, w, 1 - decay_t) and w <- slow, with
  decay_t = 0.95**5 * (t / T)**3 from a float32 table; after the last step (T) w <- slow ("decay 1").
"""
import json
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float32)
f32 = np.float32

SHAPES = {
    'dense/kernel': [3, 4], 'dense/bias': [4],
    'bn/gamma': [4], 'bn/beta': [4], 'bn/moving_mean': [4], 'bn/moving_variance': [4],
}
T = 12
K = 5
EMA_DECAY = 0.9


def det(n, phase, scale):
    """Deterministic float32 values: scale * sin(1.3 * i + phase)."""
    return np.array([scale * math.sin(1.3 * i + phase) for i in range(n)], dtype=f32)


def init_weights():
    out = {}
    for j, (name, shape) in enumerate(SHAPES.items()):
        n = int(np.prod(shape))
        base = det(n, 0.5 * j, 1.0)
        if name == 'bn/moving_variance':
            base = np.abs(base) + f32(0.5)
        out[name] = base.astype(f32)
    return out


def deltas(t):
    return {name: det(int(np.prod(shape)), 0.37 * t + 0.11 * j, 0.2) for j, (name, shape) in enumerate(SHAPES.items())}


def lerp_unfused(a, b, w):
    """torch.lerp's formula with float32 rounding after every operation."""
    a = a.astype(f32)
    b = b.astype(f32)
    w = f32(w)
    d = (b - a).astype(f32)
    if w < f32(0.5):
        return (a + (w * d).astype(f32)).astype(f32)
    return (b - (d * (f32(1) - w)).astype(f32)).astype(f32)


def lerp_torch(a, b, w):
    return torch.from_numpy(a.copy()).lerp_(torch.from_numpy(b.copy()), w).numpy()


def decay_table(total):
    """airbench94's alpha_schedule: 0.95**5 * (arange(total + 1) / total)**3 (float32)."""
    return (0.95 ** 5 * (torch.arange(total + 1) / total) ** 3).tolist()


def run(lerp):
    w = init_weights()
    ema = {k: v.copy() for k, v in w.items()}
    slow = {k: v.copy() for k, v in w.items()}
    table = decay_table(T)
    ema_hist, la_hist = [], []
    # EMA of the plain trajectory (no Lookahead write-back)
    plain = {k: v.copy() for k, v in w.items()}
    for t in range(1, T + 1):
        d = deltas(t)
        for k in plain:
            plain[k] = (plain[k] + d[k]).astype(f32)
            ema[k] = lerp(ema[k], plain[k], 1 - EMA_DECAY)
        ema_hist.append({k: v.tolist() for k, v in ema.items()})
    # Lookahead trajectory
    for t in range(1, T + 1):
        d = deltas(t)
        for k in w:
            w[k] = (w[k] + d[k]).astype(f32)
        if t % K == 0:
            for k in w:
                slow[k] = lerp(slow[k], w[k], 1 - table[t])
                w[k] = slow[k].copy()
        if t == T:
            for k in w:
                slow[k] = lerp(slow[k], w[k], 1 - 1.0)
                w[k] = slow[k].copy()
        la_hist.append({k: v.tolist() for k, v in w.items()})
    return ema_hist, la_hist


rng = np.random.default_rng(7)
lerp_a = (rng.standard_normal(64) * 2).astype(f32)
lerp_b = (rng.standard_normal(64) * 3).astype(f32)
lerp_cases = []
for wgt in [0.0, 0.1, 0.3, 0.4999999, 0.5, 0.7, 0.9, 1.0, 1 - 0.95 ** 5, 1 - decay_table(97)[45]]:
    lerp_cases.append({'weight': wgt, 'unfused': lerp_unfused(lerp_a, lerp_b, wgt).tolist(),
                       'torch': lerp_torch(lerp_a, lerp_b, wgt).tolist()})

ema_unfused, la_unfused = run(lerp_unfused)
ema_torch, la_torch = run(lerp_torch)

out = {
    'generatedBy': f'scripts/weight-averaging-fixture.py with torch {torch.__version__}',
    'lerp': {'a': lerp_a.tolist(), 'b': lerp_b.tolist(), 'cases': lerp_cases},
    'decayTables': {str(n): decay_table(n) for n in [12, 97, 971]},
    'trajectory': {
        'shapes': SHAPES, 'steps': T, 'k': K, 'emaDecay': EMA_DECAY,
        'init': {k: v.tolist() for k, v in init_weights().items()},
        'deltas': [{k: v.tolist() for k, v in deltas(t).items()} for t in range(1, T + 1)],
        'ema': {'unfused': ema_unfused, 'torch': ema_torch},
        'lookahead': {'unfused': la_unfused, 'torch': la_torch},
    },
}
path = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__', 'weight-averaging-torch.json')
with open(path, 'w') as f:
    json.dump(out, f)
    f.write('\n')
print(f'wrote {os.path.normpath(path)}')
