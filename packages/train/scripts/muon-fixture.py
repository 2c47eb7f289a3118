#!/usr/bin/env python3
"""Generates src/__fixtures__/muon-torch.json: a few steps of Muon in float32 PyTorch.

Run: /usr/bin/python3 scripts/muon-fixture.py > src/__fixtures__/muon-torch.json

Muon as described in K. Jordan, "Muon: An optimizer for hidden layers in neural networks" (2024) and used by
airbench94_muon (KellerJordan/cifar10-airbench), written out here independently and in float32 (the reference
runs the Newton-Schulz iteration in bfloat16):
  buf <- mu*buf + g (zero start);  u <- g + mu*buf (Nesterov) or buf
  optionally theta <- theta * sqrt(out) / ||theta||_F   (airbench94_muon's weight renormalisation)
  theta <- theta - lr * NS(u viewed as [out, rest])
NS: X = G / (||G||_F + eps), transposed when G is tall, `steps` times A = X X^T, X <- a X + (b A + c A A) X,
with (a, b, c) = (3.4445, -4.7750, 2.0315).

Parameters are stored in PyTorch's layout (conv OIHW, linear [out, in]); the test converts them to HWIO / [in, out].
"""
import json
import math

import torch

torch.set_default_dtype(torch.float32)
A, B, C = 3.4445, -4.7750, 2.0315
STEPS = 4


def newton_schulz(g, steps, eps=1e-7):
    x = g / (torch.linalg.norm(g) + eps)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.t()
    for _ in range(steps):
        gram = x @ x.t()
        x = A * x + (B * gram + C * (gram @ gram)) @ x
    return x.t() if tall else x


def values(shape, phase):
    n = math.prod(shape)
    return torch.tensor([math.sin(0.37 * (i + 1) + phase) + 0.1 * math.cos(1.3 * i) for i in range(n)]).reshape(shape)


INIT = {
    "conv": values([4, 3, 3, 3], 0.2),  # OIHW: 4 filters x 27 (wide)
    "dense": values([6, 3], 1.1),  # [out, in]: 6 x 3 (tall: transposed inside NS)
}


def grad_for(name, p, t):
    base = values(list(p.shape), 0.5 * t + (0.0 if name == "conv" else 0.9))
    return (base + 0.3 * p.detach()).float()


CONFIGS = {
    "airbench": dict(lr=0.24, momentum=0.6, nesterov=True, ns_steps=3, normalize=True),
    "momentum_ns5": dict(lr=0.05, momentum=0.9, nesterov=False, ns_steps=5, normalize=False),
    "plain": dict(lr=0.1, momentum=0.0, nesterov=False, ns_steps=3, normalize=False),
}


def run(cfg):
    params = {k: v.clone() for k, v in INIT.items()}
    bufs = {k: torch.zeros_like(v) for k, v in INIT.items()}
    grads, history = [], []
    for t in range(1, STEPS + 1):
        g = {k: grad_for(k, p, t) for k, p in params.items()}
        for k in params:
            u = g[k]
            if cfg["momentum"] > 0:
                bufs[k] = cfg["momentum"] * bufs[k] + g[k]
                u = g[k] + cfg["momentum"] * bufs[k] if cfg["nesterov"] else bufs[k]
            p = params[k]
            if cfg["normalize"]:
                p = p * (p.shape[0] ** 0.5 / torch.linalg.norm(p))
            upd = newton_schulz(u.reshape(u.shape[0], -1), cfg["ns_steps"]).reshape(u.shape)
            params[k] = p - cfg["lr"] * upd
        grads.append({k: v.flatten().tolist() for k, v in g.items()})
        history.append({k: v.flatten().tolist() for k, v in params.items()})
    state = {k: v.flatten().tolist() for k, v in bufs.items()} if cfg["momentum"] > 0 else {}
    return dict(options=cfg, grads=grads, params=history, momentum_buffer=state)


ns_in = {"wide": values([5, 8], 0.7), "tall": values([8, 5], 2.3)}
out = dict(
    torch=torch.__version__,
    steps=STEPS,
    shapes={k: list(v.shape) for k, v in INIT.items()},
    init={k: v.flatten().tolist() for k, v in INIT.items()},
    ns={k: dict(shape=list(v.shape), input=v.flatten().tolist(), steps3=newton_schulz(v, 3).flatten().tolist(),
                steps5=newton_schulz(v, 5).flatten().tolist()) for k, v in ns_in.items()},
    configs={k: run(cfg) for k, cfg in CONFIGS.items()},
)
print(json.dumps(out))
