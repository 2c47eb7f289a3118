#!/usr/bin/env python3
"""Generates src/__fixtures__/optimizers-torch.json: a few steps of torch.optim.Adam / SGD.

Run: /usr/bin/python3 scripts/optimizer-fixture.py > src/__fixtures__/optimizers-torch.json
Two float32 parameters ('w' [2, 3], 'b' [4]) start from fixed values; the gradient of step t is a fixed
deterministic function of t and the current parameter (so momentum/decay paths all matter).
Stored per config: the parameter values after every step and the final optimizer state.
"""
import json
import math

import torch

torch.set_default_dtype(torch.float32)
STEPS = 5
INIT = {
    "w": [[0.5, -1.0, 0.25], [2.0, -0.75, 0.1]],
    "b": [0.3, -0.2, 1.5, -2.5],
}


def grad_for(name, p, t):
    n = p.numel()
    base = torch.tensor([math.sin(0.7 * (i + 1) * t + (0.3 if name == "b" else 0.0)) for i in range(n)])
    return (base.reshape(p.shape) + 0.5 * p.detach()).float()


CONFIGS = {
    "adam_default": ("Adam", dict(lr=1e-3)),
    "adam_wd_amsgrad": ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01, amsgrad=True)),
    "sgd_plain": ("SGD", dict(lr=0.1)),
    "sgd_momentum_dampening_wd": ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=5e-4)),
    "sgd_nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
}

out = dict(torch=torch.__version__, steps=STEPS, init=INIT, configs={})
for key, (cls, kw) in CONFIGS.items():
    params = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in INIT.items()}
    opt = getattr(torch.optim, cls)(list(params.values()), **kw)
    grads, history = [], []
    for t in range(1, STEPS + 1):
        g = {k: grad_for(k, p, t) for k, p in params.items()}
        for k, p in params.items():
            p.grad = g[k].clone()
        opt.step()
        grads.append({k: v.flatten().tolist() for k, v in g.items()})
        history.append({k: p.detach().flatten().tolist() for k, p in params.items()})
    state = {}
    for k, p in params.items():
        st = opt.state[p]
        state[k] = {s: v.flatten().tolist() for s, v in st.items() if torch.is_tensor(v) and v.numel() > 1}
    options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    out["configs"][key] = dict(optimizer=cls, options=options, grads=grads, params=history, state=state)

print(json.dumps(out))
