#!/usr/bin/env python3
"""Generates src/__fixtures__/airbench-torch.json: PyTorch reference values for the airbench94 building blocks.

Run (from packages/models): /usr/bin/python3 scripts/airbench-fixtures.py > src/__fixtures__/airbench-torch.json

What it computes, each with torch 1.13 on the CPU in float32 unless said otherwise:
- gelu: torch.nn.GELU() (exact erf form) forward and backward on chosen values, including 0, large |x|, ±inf and NaN.
- bnFrozenScale: torch.nn.BatchNorm2d(eps=1e-12, momentum=0.4) with weight.requires_grad=False (airbench's
  BatchNorm): train output, running statistics after two steps, eval output, gradients of the input and the bias.
- whitening: the patch-whitening filter bank of the airbench94 recipe (K. Jordan, arXiv 2404.00498), computed in
  float64: uncentred second-moment matrix of all k×k patches (stride 1, valid), torch.linalg.eigh, eigenvalues in
  descending order, eigenvectors / sqrt(eigenvalue + eps), filters [V; -V]. Stored as an HWIO kernel
  [k, k, c, 2·c·k²] with the patch flattened in (kh, kw, c) order and each eigenvector's sign fixed so that its
  component of largest magnitude is positive (the convention of our patchWhitening).
- net: the airbench94 architecture written out below from the paper's description (whitening conv 2×2 with bias,
  GELU, three ConvGroups conv-pool-BN-GELU-conv-BN-GELU, max-pool 3, linear without bias, ×1/9): parameter counts at
  the default widths, and a forward/backward parity case at small widths with every weight exported in our
  layout (HWIO kernels, [in, out] dense kernel).
- tta: airbench's tta_level 2 (mirror + one-pixel reflect-padded translations) on a small linear model.

Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such literals).
Random inputs come from torch.Generator seeds, so the output is reproducible.
"""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn

torch.set_default_dtype(torch.float32)


def num(v):
    v = float(v)
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return float('%.9g' % v)


def flat(t):
    return [num(v) for v in t.detach().reshape(-1).tolist()]


def nhwc(t):
    """NCHW → NHWC, flattened."""
    return flat(t.permute(0, 2, 3, 1))


def hwio(w):
    """OIHW conv weight → HWIO, flattened."""
    return flat(w.permute(2, 3, 1, 0))


# --------------------------------------------------------------------------- GELU
def gelu_case():
    xs = [-1e4, -30.0, -10.0, -5.0, -3.0, -2.0, -1.0, -0.5, -1e-3, -0.0, 0.0, 1e-3, 0.25, 0.5, 1.0, 1.5, 2.0,
          3.0, 5.0, 10.0, 30.0, 1e4, float('nan'), float('inf'), float('-inf')]
    x = torch.tensor(xs, requires_grad=True)
    y = nn.GELU()(x)
    dy = torch.tensor([((i * 7) % 11) / 5.0 - 1.0 for i in range(len(xs))])
    y.backward(dy)
    return dict(x=flat(x), y=flat(y), dy=flat(dy), dx=flat(x.grad))


# --------------------------------------------------------------------------- BatchNorm, frozen scale
def bn_case():
    g = torch.Generator().manual_seed(1)
    n, c, h, w = 3, 4, 2, 3
    x = (torch.randn(n, c, h, w, generator=g) * 2 + 0.5).requires_grad_(True)
    x2 = torch.randn(n, c, h, w, generator=g) * 0.5 - 1
    wgt = torch.randn(n, c, h, w, generator=g)
    bn = nn.BatchNorm2d(c, eps=1e-12, momentum=0.4)
    bn.weight.requires_grad = False
    with torch.no_grad():
        bn.bias.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
    bn.train()
    y = bn(x)
    (y * wgt).sum().backward()
    with torch.no_grad():
        bn(x2)
    bn.eval()
    with torch.no_grad():
        y_eval = bn(x)
    return dict(shape=[n, h, w, c], beta=flat(bn.bias), x=nhwc(x), x2=nhwc(x2), w=nhwc(wgt), yTrain=nhwc(y),
                dx=nhwc(x.grad), dbeta=flat(bn.bias.grad), runningMean=flat(bn.running_mean),
                runningVar=flat(bn.running_var), yEval=nhwc(y_eval), weightHasGrad=bn.weight.grad is not None)


# --------------------------------------------------------------------------- patch whitening
def smooth_images(n, c, h, w, seed):
    """Seeded, spatially and channel-correlated images (NCHW), roughly zero-mean like normalised CIFAR."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(n, c, h + 2, w + 2, generator=g, dtype=torch.float64)
    blurred = F.avg_pool2d(base, 3, stride=1)  # spatial correlation
    mix = torch.tensor([[1.0, 0.6, 0.3], [0.5, 1.0, 0.4], [0.2, 0.5, 1.0]], dtype=torch.float64)[:c, :c]
    return torch.einsum('dc,nchw->ndhw', mix, blurred) + 0.05 * torch.randn(n, c, h, w, generator=g, dtype=torch.float64)


def whitening_reference(images_nchw, k, eps):
    """Eigenvalues (descending) and the HWIO filter bank [k, k, c, 2·c·k²] with our sign convention, float64."""
    n, c, h, w = images_nchw.shape
    # every k×k patch, stride 1, valid; a row per patch flattened in (c, kh, kw) order as in the reference code
    patches = images_nchw.unfold(2, k, 1).unfold(3, k, 1)  # [n, c, h', w', k, k]
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, c * k * k)
    cov = patches.T @ patches / patches.shape[0]
    evals, evecs = torch.linalg.eigh(cov)  # ascending, columns
    evals = evals.flip(0)
    evecs = evecs.T.flip(0)  # rows, descending eigenvalue
    # (c, kh, kw) → (kh, kw, c) order
    evecs = evecs.reshape(-1, c, k, k).permute(0, 2, 3, 1).reshape(-1, c * k * k)
    # sign: the largest-magnitude component positive (first such index on ties)
    idx = evecs.abs().argmax(dim=1)
    signs = torch.sign(evecs[torch.arange(evecs.shape[0]), idx])
    evecs = evecs * signs[:, None]
    scaled = evecs / torch.sqrt(evals + eps)[:, None]
    bank = torch.cat([scaled, -scaled])  # [2d, k·k·c]
    kernel = bank.reshape(-1, k, k, c).permute(1, 2, 3, 0)  # HWIO
    return evals, evecs, kernel, patches.shape[0]


def whitening_case(n, c, h, w, k, eps, seed):
    imgs = smooth_images(n, c, h, w, seed).float().double()  # the float32 values the test feeds
    evals, evecs, kernel, count = whitening_reference(imgs, k, eps)
    return dict(shape=[n, h, w, c], kernelSize=k, eps=eps, images=nhwc(imgs.float()), patches=count,
                eigenvalues=flat(evals), eigenvectors=flat(evecs), kernel=flat(kernel))


# --------------------------------------------------------------------------- airbench94 network
class BatchNormFrozenScale(nn.BatchNorm2d):
    """BatchNorm2d with the weight fixed at 1 (requires_grad False), eps 1e-12."""

    def __init__(self, channels, momentum):
        super().__init__(channels, eps=1e-12, momentum=momentum)
        self.weight.requires_grad = False


def conv3(cin, cout):
    conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
    with torch.no_grad():
        nn.init.dirac_(conv.weight[:cin])  # identity on the first `cin` filters
    return conv


class Group(nn.Module):
    def __init__(self, cin, cout, momentum):
        super().__init__()
        self.conv1 = conv3(cin, cout)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = BatchNormFrozenScale(cout, momentum)
        self.conv2 = conv3(cout, cout)
        self.norm2 = BatchNormFrozenScale(cout, momentum)

    def forward(self, x):
        x = F.gelu(self.norm1(self.pool(self.conv1(x))))
        return F.gelu(self.norm2(self.conv2(x)))


class Net(nn.Module):
    def __init__(self, widths, momentum=0.4, classes=10, scale=1 / 9):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2, padding=0, bias=True)
        self.whiten.weight.requires_grad = False
        self.block1 = Group(24, widths[0], momentum)
        self.block2 = Group(widths[0], widths[1], momentum)
        self.block3 = Group(widths[1], widths[2], momentum)
        self.head = nn.Linear(widths[2], classes, bias=False)
        self.scale = scale

    def forward(self, x):
        x = F.gelu(self.whiten(x))
        x = self.block3(self.block2(self.block1(x)))
        x = F.max_pool2d(x, 3).flatten(1)
        return self.head(x) * self.scale


def counts(widths):
    net = Net(widths)
    params = list(net.parameters())
    return dict(
        parameters=sum(p.numel() for p in params),
        requiresGrad=sum(p.numel() for p in params if p.requires_grad),
        frozen=sum(p.numel() for p in params if not p.requires_grad),
        buffers=sum(b.numel() for name, b in net.named_buffers() if not name.endswith('num_batches_tracked')),
    )


def net_case():
    widths = [8, 16, 16]
    torch.manual_seed(0)
    net = Net(widths)
    g = torch.Generator().manual_seed(3)
    x = smooth_images(4, 3, 32, 32, 5).float()
    x2 = (torch.randn(4, 3, 32, 32, generator=g) * 0.8).float()
    wgt = torch.randn(4, 10, generator=g)
    with torch.no_grad():
        _, _, kernel, _ = whitening_reference(x.double(), 2, 5e-4)
        net.whiten.weight.copy_(kernel.permute(3, 2, 0, 1).float())  # HWIO → OIHW
        net.whiten.bias.copy_(torch.randn(24, generator=g) * 0.1)
        for blk in (net.block1, net.block2, net.block3):
            for bn in (blk.norm1, blk.norm2):
                bn.bias.copy_(torch.randn(bn.bias.shape, generator=g) * 0.1)
    weights = {'whiten/kernel': hwio(net.whiten.weight), 'whiten/bias': flat(net.whiten.bias)}
    for i, blk in enumerate((net.block1, net.block2, net.block3), start=1):
        weights[f'block{i}.conv1/kernel'] = hwio(blk.conv1.weight)
        weights[f'block{i}.conv2/kernel'] = hwio(blk.conv2.weight)
        for j, bn in ((1, blk.norm1), (2, blk.norm2)):
            weights[f'block{i}.norm{j}/beta'] = flat(bn.bias)
    weights['head/kernel'] = flat(net.head.weight.T)
    net.train()
    y = net(x)
    (y * wgt).sum().backward()
    grads = {
        'whiten/bias': flat(net.whiten.bias.grad),
        'block1.norm1/beta': flat(net.block1.norm1.bias.grad),
        'block2.conv1/kernel': hwio(net.block2.conv1.weight.grad),
        'head/kernel': flat(net.head.weight.grad.T),
    }
    with torch.no_grad():
        net(x2)
    running = {}
    for i, blk in enumerate((net.block1, net.block2, net.block3), start=1):
        for j, bn in ((1, blk.norm1), (2, blk.norm2)):
            running[f'block{i}.norm{j}/moving_mean'] = flat(bn.running_mean)
            running[f'block{i}.norm{j}/moving_variance'] = flat(bn.running_var)
    net.eval()
    with torch.no_grad():
        y_eval = net(x)
    return dict(widths=widths, x=nhwc(x), x2=nhwc(x2), w=flat(wgt), weights=weights, yTrain=flat(y), grads=grads,
                running=running, yEval=flat(y_eval))


# --------------------------------------------------------------------------- test-time augmentation
def tta_case():
    g = torch.Generator().manual_seed(7)
    n, c, h, w, k = 2, 3, 5, 6, 4
    x = torch.randn(n, c, h, w, generator=g)
    wmat = torch.randn(h * w * c, k, generator=g)

    def model(inp):  # NCHW in; flattens in NHWC order like our models
        return inp.permute(0, 2, 3, 1).reshape(inp.shape[0], -1) @ wmat

    def mirror(inp):
        return 0.5 * model(inp) + 0.5 * model(inp.flip(-1))

    padded = F.pad(x, (1, 1, 1, 1), mode='reflect')
    shifted = [padded[:, :, 0:h, 0:w], padded[:, :, 2:h + 2, 2:w + 2]]
    logits = 0.5 * mirror(x) + 0.5 * torch.stack([mirror(s) for s in shifted]).mean(0)
    return dict(shape=[n, h, w, c], x=nhwc(x), kernel=flat(wmat), numClasses=k, level0=flat(model(x)),
                level1=flat(mirror(x)), level2=flat(logits))


print(json.dumps(dict(
    torch=torch.__version__,
    gelu=gelu_case(),
    bnFrozenScale=bn_case(),
    whitening=[whitening_case(6, 3, 8, 8, 2, 5e-4, 11), whitening_case(5, 3, 7, 6, 3, 1e-3, 12)],
    counts=dict(default=counts([64, 256, 256]), small=counts([8, 16, 16])),
    net=net_case(),
    tta=tta_case(),
)))
