#!/usr/bin/env python3
"""Generates src/__fixtures__/batchnorm-torch.json: torch.nn.BatchNorm2d / BatchNorm1d reference values.

Run: /usr/bin/python3 scripts/batchnorm-fixture.py > src/__fixtures__/batchnorm-torch.json
Inputs are deterministic (no RNG); tensors are stored flattened in NHWC / [batch, features] order.
"""
import json

import torch

torch.set_default_dtype(torch.float32)


def values(n, a, b):
    # deterministic, irregular values
    return [round(((i * a) % 97) / 97.0 * 4.0 - 2.0 + b * (i % 3), 6) for i in range(n)]


def case2d():
    n, h, w, c = 4, 3, 3, 2
    x_nhwc = torch.tensor(values(n * h * w * c, 37, 0.25)).reshape(n, h, w, c)
    x2 = x_nhwc * 0.5 + 1.0
    bn = torch.nn.BatchNorm2d(c)  # eps 1e-5, momentum 0.1
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, 0.5]))
        bn.bias.copy_(torch.tensor([0.1, -0.2]))
    bn.train()
    y1 = bn(x_nhwc.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    bn(x2.permute(0, 3, 1, 2))
    bn.eval()
    y_eval = bn(x_nhwc.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    return dict(shape=[n, h, w, c], gamma=[1.5, 0.5], beta=[0.1, -0.2],
                x=x_nhwc.flatten().tolist(), x2=x2.flatten().tolist(),
                yTrain=y1.detach().flatten().tolist(),
                runningMean=bn.running_mean.tolist(), runningVar=bn.running_var.tolist(),
                yEval=y_eval.detach().flatten().tolist())


def case1d():
    n, f = 5, 3
    x = torch.tensor(values(n * f, 53, 0.5)).reshape(n, f)
    bn = torch.nn.BatchNorm1d(f)
    bn.train()
    y1 = bn(x)
    bn.eval()
    y_eval = bn(x)
    return dict(shape=[n, f], x=x.flatten().tolist(), yTrain=y1.detach().flatten().tolist(),
                runningMean=bn.running_mean.tolist(), runningVar=bn.running_var.tolist(),
                yEval=y_eval.detach().flatten().tolist())


print(json.dumps(dict(torch=torch.__version__, bn2d=case2d(), bn1d=case1d()), indent=1))
