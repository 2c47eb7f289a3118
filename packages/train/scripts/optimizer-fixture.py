#!/usr/bin/env python3
"""Generates src/__fixtures__/optimizers-torch.json: a few steps of torch.optim.Adam / SGD.

Run: /usr/bin/python3 scripts/optimizer-fixture.py > src/__fixtures__/optimizers-torch.json
Two float32 parameters ('w' [2, 3], 'b' [4]) start from fixed values; the gradient of step t is a fixed
deterministic function of t and the current parameter (so momentum/decay paths all matter).
Stored per config: the parameter values after every step and the final optimizer state. `paramGroups`: SGD
with two parameter groups (own lr and weight decay) under SequentialLR(LinearLR, LinearLR) stepped per step.
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

# Parameter groups (airbench's two-group SGD: its own lr and weight decay per group) under a per-step
# SequentialLR warm-up + linear decay; records the parameters and each group's lr after every step.
PG_STEPS = 6
PG_GROUPS = [
    dict(name="bias", params=["b"], lr=0.64, weight_decay=5e-4),
    dict(name="rest", params=["w"], lr=0.01, weight_decay=0.03),
]
PG_SGD = dict(momentum=0.85, nesterov=True)
params = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in INIT.items()}
opt = torch.optim.SGD([dict(params=[params[n] for n in g["params"]], lr=g["lr"], weight_decay=g["weight_decay"])
                       for g in PG_GROUPS], **PG_SGD)
S = torch.optim.lr_scheduler
sched = S.SequentialLR(opt, [S.LinearLR(opt, start_factor=0.2, end_factor=1.0, total_iters=2),
                             S.LinearLR(opt, start_factor=1.0, end_factor=0.07, total_iters=PG_STEPS - 2)], milestones=[2])
grads, history, lrs = [], [], [[g["lr"] for g in opt.param_groups]]
for t in range(1, PG_STEPS + 1):
    g = {k: grad_for(k, p, t) for k, p in params.items()}
    for k, p in params.items():
        p.grad = g[k].clone()
    opt.step()
    sched.step()
    grads.append({k: v.flatten().tolist() for k, v in g.items()})
    history.append({k: p.detach().flatten().tolist() for k, p in params.items()})
    lrs.append([g["lr"] for g in opt.param_groups])
out["paramGroups"] = dict(groups=PG_GROUPS, sgd=PG_SGD, warmup=2, endFactor=0.07, grads=grads, params=history, lrs=lrs)

print(json.dumps(out))
