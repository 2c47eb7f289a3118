#!/usr/bin/env python3
"""PyTorch reference of the fast CIFAR-10 recipe's training step (`--recipe fast`), for bench:cifar10.

The network and optimizer step of an airbench94-class recipe (Keller Jordan, arXiv 2404.00498), in float32 on
the CPU: a frozen 2x2 whitening conv 3->24 with bias, GELU, three conv groups (conv3x3 -> maxpool 2 ->
BatchNorm without scale -> GELU -> conv3x3 -> BatchNorm -> GELU) of widths 64/256/256, maxpool 3, linear
256->10 without bias scaled by 1/9; cross-entropy with label smoothing 0.2 summed over the batch; SGD with
Nesterov momentum 0.85 and two parameter groups (BatchNorm biases at 64x the learning rate).

`--recipe muon`: the Muon recipe's step instead (airbench94_muon, K. Jordan): the head's logits divided by 256
instead of multiplied by 1/9; Muon (lr 0.24, Nesterov momentum 0.6, 3 Newton-Schulz iterations, each filter bank
rescaled to Frobenius norm sqrt(out) first; written out here in float32 from the Muon blog post) on the 3x3 conv
filters, and Nesterov SGD (momentum 0.85) on the whitening bias (lr 0.053), the BatchNorm biases (lr 0.053) and the
head (lr 0.67), weight decay 2e-6 * batch / lr per group.

Usage: /usr/bin/python3 fast_step_reference.py [--recipe fast|muon] [--batch 1024] [--threads 2] [--steps 3]
       [--warmup 2] [--memory-format channels_last|contiguous] [--eval-batch 2000]
Prints one JSON line: {"ref": "torch-fast-step", "trainImgPerSec": ..., "evalImgPerSec": ..., "flopsPerImage":
{"forward": ..., "train": ...}, "trainGflopsPerSec": ..., ...}. Inputs are random (timing only).

FLOPs per image are counted from the modules the forward pass runs (forward hooks on Conv2d and Linear): 2·MACs
forward, plus 2·MACs for the input gradient when the layer's input requires grad and 2·MACs for the weight
gradient when its weight does (so the frozen whitening conv on the data counts its forward only); element-wise
layers are left out. bench:cifar10 checks this count against its own.
"""
import argparse, json, time

import torch
import torch.nn as nn


def conv_group(cin, cout):
    def bn(c):
        b = nn.BatchNorm2d(c, eps=1e-12, momentum=0.4)
        b.weight.requires_grad = False
        return b
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.MaxPool2d(2), bn(cout), nn.GELU(),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), bn(cout), nn.GELU())


class Scale(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.s = s

    def forward(self, x):
        return x * self.s


def make_net(widths=(64, 256, 256), scale=1 / 9):
    net = nn.Sequential(nn.Conv2d(3, 24, 2, padding=0, bias=True), nn.GELU(),
                        conv_group(24, widths[0]), conv_group(widths[0], widths[1]), conv_group(widths[1], widths[2]),
                        nn.MaxPool2d(3), nn.Flatten(), nn.Linear(widths[2], 10, bias=False), Scale(scale))
    net[0].weight.requires_grad = False
    return net


def flops_per_image(net, fmt):
    """(forward, train) FLOPs per image of the Conv2d / Linear modules, from one forward pass with grad enabled."""
    counts = []

    def hook(module, inputs, output):
        per_image = output.numel() // output.shape[0]
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs = per_image * (module.in_channels // module.groups) * kh * kw
        else:
            macs = per_image * module.in_features
        counts.append((macs, inputs[0].requires_grad, module.weight.requires_grad))

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = net.training
    net.eval()
    with torch.enable_grad():
        net(torch.zeros(2, 3, 32, 32).to(memory_format=fmt))
    net.train(was_training)
    for h in handles:
        h.remove()
    forward = sum(2 * m for m, _, _ in counts)
    train = sum(2 * m * (1 + int(xg) + int(wg)) for m, xg, wg in counts)
    return forward, train


NS_A, NS_B, NS_C = 3.4445, -4.7750, 2.0315


def orthogonalise(g, steps=3, eps=1e-7):
    """Quintic Newton-Schulz iteration towards the nearest semi-orthogonal matrix (float32)."""
    x = g / (g.norm() + eps)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.t()
    for _ in range(steps):
        gram = x @ x.t()
        x = NS_A * x + (NS_B * gram + NS_C * (gram @ gram)) @ x
    return x.t() if tall else x


class MuonStep:
    """Muon on a list of parameters: Nesterov momentum, weight renormalisation, orthogonalised update."""

    def __init__(self, params, lr=0.24, momentum=0.6):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.bufs = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self):
        for p, buf in zip(self.params, self.bufs):
            buf.mul_(self.momentum).add_(p.grad)
            u = p.grad + self.momentum * buf
            p.mul_(len(p) ** 0.5 / p.norm())
            p.add_(orthogonalise(u.reshape(len(u), -1)).view(u.shape), alpha=-self.lr)


def muon_optimizers(net, batch):
    """The Muon recipe's optimizers: SGD groups (whitening bias, BatchNorm biases, head) and Muon on the filters."""
    wd = 2e-6 * batch
    modules = dict(net.named_modules())
    named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    norm_biases = [p for n, p in named if isinstance(modules[n.rsplit('.', 1)[0]], nn.BatchNorm2d)]
    filters = [p for n, p in named if p.dim() == 4]
    sgd = torch.optim.SGD([dict(params=[net[0].bias], lr=0.053, weight_decay=wd / 0.053),
                           dict(params=norm_biases, lr=0.053, weight_decay=wd / 0.053),
                           dict(params=[net[-2].weight], lr=0.67, weight_decay=wd / 0.67)], momentum=0.85, nesterov=True)
    return sgd, MuonStep(filters)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--recipe', default='fast', choices=['fast', 'muon'])
    ap.add_argument('--batch', type=int, default=1024)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--eval-batch', type=int, default=2000)
    ap.add_argument('--memory-format', default='channels_last', choices=['channels_last', 'contiguous'])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.memory_format == 'channels_last' else torch.contiguous_format
    net = make_net(scale=1 / 256 if a.recipe == 'muon' else 1 / 9).to(memory_format=fmt)
    flops_forward, flops_train = flops_per_image(net, fmt)
    momentum = 0.85
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr, wd = 11.5 / kilostep, 0.0153 * a.batch / kilostep
    norm_biases = [p for n, p in net.named_parameters() if p.requires_grad and isinstance(dict(net.named_modules())[n.rsplit('.', 1)[0]], nn.BatchNorm2d)]
    others = [p for p in net.parameters() if p.requires_grad and all(p is not q for q in norm_biases)]
    opt = torch.optim.SGD([dict(params=norm_biases, lr=lr * 64, weight_decay=wd / (lr * 64)),
                           dict(params=others, lr=lr, weight_decay=wd / lr)], momentum=momentum, nesterov=True)
    opts = list(muon_optimizers(net, a.batch)) if a.recipe == 'muon' else [opt]
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2, reduction='sum')
    x = torch.randn(a.batch, 3, 32, 32).to(memory_format=fmt)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        loss = loss_fn(net(x), y)
        net.zero_grad(set_to_none=True)
        loss.backward()
        for o in opts:
            o.step()
        return loss.item()

    net.train()
    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    net.eval()
    xe = torch.randn(a.eval_batch, 3, 32, 32).to(memory_format=fmt)
    with torch.no_grad():
        net(xe)
        t0 = time.perf_counter()
        net(xe)
        te = time.perf_counter() - t0
    sec = sorted(times)[len(times) // 2]
    print(json.dumps({'ref': 'torch-fast-step', 'recipe': a.recipe, 'torch': torch.__version__, 'threads': a.threads, 'batch': a.batch,
                      'memoryFormat': a.memory_format, 'stepSeconds': sec, 'trainImgPerSec': a.batch / sec,
                      'evalImgPerSec': a.eval_batch / te,
                      'flopsPerImage': {'forward': flops_forward, 'train': flops_train},
                      'trainGflopsPerSec': flops_train * a.batch / sec / 1e9,
                      'params': sum(p.numel() for p in net.parameters() if p.requires_grad)}))


if __name__ == '__main__':
    main()
