#!/usr/bin/env python3
"""Independent Grad-CAM / Grad-CAM++ / saliency reference computed with PyTorch autograd.

Run from the package root: /usr/bin/python3 scripts/make-cam-fixture.py
Writes src/__fixtures__/cam-reference.json: torch-layout weights (OIHW convolutions, [out, in] linear), an NHWC
input batch, and the expected logits, channel weights and maps. The network is conv-only up to a global average
pool, so no flatten-order question arises between NCHW (torch) and NHWC (tfjs).
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "cam-reference.json")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1)
        self.fc = nn.Linear(5, 3)

    def features(self, x):
        return F.relu(self.conv2(F.max_pool2d(F.relu(self.conv1(x)), 2)))  # A: [b, 5, 4, 4]

    def head(self, a):
        return self.fc(a.mean(dim=(2, 3)))  # logits [b, 3]


def normalize(maps):
    flat = maps.reshape(maps.shape[0], -1)
    lo = flat.min(dim=1).values[:, None, None]
    hi = flat.max(dim=1).values[:, None, None]
    rng = hi - lo
    return torch.where(rng > 0, (maps - lo) / torch.where(rng > 0, rng, torch.ones_like(rng)), torch.zeros_like(maps))


def main():
    torch.manual_seed(13)
    net = Net().double()
    x_nchw = torch.randn(3, 3, 8, 8, dtype=torch.float64)
    targets = torch.tensor([0, 1, 2])

    a = net.features(x_nchw).detach().requires_grad_(True)
    logits = net.head(a)
    score = logits.gather(1, targets[:, None]).sum()
    (g,) = torch.autograd.grad(score, a)

    def cam_from(weights):
        raw = F.relu((weights[:, :, None, None] * a.detach()).sum(dim=1))  # [b, 4, 4]
        up = F.interpolate(raw[:, None], size=(8, 8), mode="bilinear", align_corners=False)[:, 0]
        return raw, normalize(up)

    alpha = g.mean(dim=(2, 3))
    gc_raw, gc = cam_from(alpha)

    g2, g3 = g ** 2, g ** 3
    sum_a = a.detach().sum(dim=(2, 3))[:, :, None, None]
    denom = 2 * g2 + sum_a * g3
    aij = torch.where(g != 0, g2 / torch.where(denom != 0, denom, torch.ones_like(denom)), torch.zeros_like(g))
    pp_weights = (aij * F.relu(g)).sum(dim=(2, 3))
    pp_raw, pp = cam_from(pp_weights)

    xin = x_nchw.clone().requires_grad_(True)
    s = net.head(net.features(xin)).gather(1, targets[:, None]).sum()
    (gx,) = torch.autograd.grad(s, xin)
    saliency = normalize(gx.abs().max(dim=1).values)

    sd = {k: v.tolist() for k, v in net.state_dict().items()}
    ref = {
        "generator": f"scripts/make-cam-fixture.py, torch {torch.__version__}, float64",
        "weights": sd,
        "inputNHWC": x_nchw.permute(0, 2, 3, 1).tolist(),
        "targets": targets.tolist(),
        "logits": logits.tolist(),
        "gradCam": {"weights": alpha.tolist(), "raw": gc_raw.tolist(), "cam": gc.tolist()},
        "gradCamPlusPlus": {"weights": pp_weights.tolist(), "raw": pp_raw.tolist(), "cam": pp.tolist()},
        "saliency": saliency.tolist(),
    }

    def rounded(o):
        if isinstance(o, float):
            return float(f"{o:.9g}")
        if isinstance(o, list):
            return [rounded(v) for v in o]
        if isinstance(o, dict):
            return {k: rounded(v) for k, v in o.items()}
        return o

    with open(OUT, "w") as f:
        json.dump(rounded(ref), f)
        f.write("\n")
    print("gradcam raw max per sample", gc_raw.amax(dim=(1, 2)).tolist())
    print("gradcam++ raw max per sample", pp_raw.amax(dim=(1, 2)).tolist())
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
