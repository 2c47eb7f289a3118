#!/usr/bin/env python3
"""Writes src/__fixtures__/gelu-torch.json: torch.nn.functional.gelu (exact erf form) and its gradient in
float32 on fixed inputs, with the exact values (mpmath), for src/gelu-ema.test.ts. Run with Debian's python3-torch:
  /usr/bin/python3 scripts/gelu-fixtures.py
"""
import json
import os

import mpmath
import torch

torch.manual_seed(0)
x = torch.cat([torch.linspace(-12, 12, 481), torch.tensor([0.0, 1e-4, -1e-4, 1e-20, -0.70710677, 0.70710677,
                                                           1.4142135, -1.4142135, 5.6568542, -5.6568542, 40.0,
                                                           -40.0]),
               torch.randn(200) * 3]).float()
dy = torch.randn_like(x)
xr = x.clone().requires_grad_(True)
y = torch.nn.functional.gelu(xr)
(dx,) = torch.autograd.grad(y, xr, dy)
mpmath.mp.dps = 30
# The exact values (40 digits, rounded to double) of gelu(x) and dy·gelu'(x) at the float32 inputs.
exact_y = [float(v * mpmath.ncdf(v)) for v in map(mpmath.mpf, x.tolist())]
exact_dx = [float(g * (mpmath.ncdf(v) + v * mpmath.npdf(v))) for v, g in zip(map(mpmath.mpf, x.tolist()), dy.tolist())]
out = {'torch': torch.__version__, 'x': x.tolist(), 'dy': dy.tolist(), 'y': y.detach().tolist(), 'dx': dx.tolist(),
       'exactY': exact_y, 'exactDx': exact_dx}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', '__fixtures__', 'gelu-torch.json')
with open(path + '.tmp', 'w') as f:
    json.dump(out, f)
os.replace(path + '.tmp', path)
print('wrote', path, len(x), 'values')
