#!/usr/bin/env python3
"""PyTorch reference run of the fast CIFAR-10 recipe (`--recipe fast`) on the same data, for accuracy calibration.

The whole airbench94-class recipe (K. Jordan, arXiv 2404.00498) in float32 on the CPU, written for this project:
the network of fast_step_reference.py, patch whitening from 5,000 training images (eps 5e-4, [V; -V] scaled by
1/sqrt(lambda + eps)), dirac initialisation of the 3x3 convolutions' first filters, two-group Nesterov SGD with
airbench's decoupled hyperparameters, label smoothing 0.2 on a summed loss, warm-up then linear decay per step,
Lookahead every 5 steps, alternating flip and 2-px reflect translation, the whitening bias trained for 3 epochs,
and test-time augmentation (mirror and 1-px translations). It reads the image-folder layout of the offline archive
(`<data>/train/<class>/*.jpg`, `<data>/test/<class>/*.jpg`, the `cifar10-jpeg` folder the app extracts to its
cache) with Pillow, so both implementations see the same pixels, or the official binary layout (a `--data` folder
holding `data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin`: 3,073-byte records of a label byte and the
1,024 red, green and blue bytes; `cifar-10-batches-bin` of the lossless archive).

Usage: /usr/bin/python3 fast_recipe_reference.py --data DIR [--seed 0] [--threads 2] [--epochs 9.9]
       [--whiten-first] (the first 5,000 images in folder order, as airbench takes them, instead of a random draw)
Prints one JSON line per epoch and a last line {"ref": "torch-fast-recipe", "testAcc": ..., "testAccNoTta": ...,
"trainSeconds": ...}.
"""
import argparse, json, math, os, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

# the step reference of @cnn/benchmarks holds the network (one definition for the step bench and this run)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'benchmarks', 'scripts'))
from fast_step_reference import make_net  # noqa: E402

CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
MEAN = torch.tensor((0.4914, 0.4822, 0.4465)).view(1, 3, 1, 1)
STD = torch.tensor((0.2470, 0.2435, 0.2616)).view(1, 3, 1, 1)


def load_split(root):
    images, labels = [], []
    for c, name in enumerate(CLASSES):
        folder = os.path.join(root, name)
        for f in sorted(os.listdir(folder)):
            images.append(np.asarray(Image.open(os.path.join(folder, f)).convert('RGB')))
            labels.append(c)
    x = torch.tensor(np.stack(images)).permute(0, 3, 1, 2).float().div(255)
    return ((x - MEAN) / STD).contiguous(), torch.tensor(labels)


def load_binary(files):
    raw = np.concatenate([np.fromfile(f, dtype=np.uint8) for f in files])
    if raw.size % 3073:
        raise SystemExit(f'{files}: not CIFAR-10 binary records (size {raw.size} is not a multiple of 3073)')
    rec = raw.reshape(-1, 3073)
    x = torch.tensor(rec[:, 1:].reshape(-1, 3, 32, 32)).float().div(255)
    return ((x - MEAN) / STD).contiguous(), torch.tensor(rec[:, 0].astype(np.int64))


def load_data(root):
    if os.path.exists(os.path.join(root, 'data_batch_1.bin')):
        train = load_binary([os.path.join(root, f'data_batch_{i}.bin') for i in range(1, 6)])
        return train, load_binary([os.path.join(root, 'test_batch.bin')])
    return load_split(os.path.join(root, 'train')), load_split(os.path.join(root, 'test'))


def init_dirac(net):
    for m in net.modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3):
            w = m.weight.data
            torch.nn.init.dirac_(w[:w.size(1)])


def init_whitening(conv, images, eps=5e-4):
    k = conv.kernel_size[0]
    patches = images.unfold(2, k, 1).unfold(3, k, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, 3 * k * k).double()
    cov = patches.T @ patches / patches.shape[0]
    lam, vec = torch.linalg.eigh(cov)
    lam, vec = lam.flip(0), vec.T.flip(0)
    filt = (vec / torch.sqrt(lam.clamp(min=0) + eps).view(-1, 1)).reshape(-1, 3, k, k).float()
    conv.weight.data[:] = torch.cat((filt, -filt))


def translate_batch(x, r, gen):
    n, _, h, w = x.shape
    padded = F.pad(x, (r,) * 4, mode='reflect')
    dy = torch.randint(0, 2 * r + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * r + 1, (n,), generator=gen)
    out = torch.empty_like(x)
    for a in range(2 * r + 1):
        for b in range(2 * r + 1):
            m = (dy == a) & (dx == b)
            if m.any():
                out[m] = padded[m, :, a:a + h, b:b + w]
    return out


def tta_logits(net, x, level=2):
    def mirror(v):
        return 0.5 * net(v) + 0.5 * net(v.flip(-1))
    if level == 0:
        return net(x)
    base = mirror(x)
    if level == 1:
        return base
    p = F.pad(x, (1,) * 4, mode='reflect')
    shifted = 0.5 * mirror(p[:, :, 0:32, 0:32]) + 0.5 * mirror(p[:, :, 2:34, 2:34])
    return 0.5 * base + 0.5 * shifted


def evaluate(net, x, y, level):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (tta_logits(net, x[i:i + 1000], level).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--epochs', type=float, default=9.9)
    ap.add_argument('--whiten-first', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    (xtr, ytr), (xte, yte) = load_data(a.data)

    net = make_net()
    init_dirac(net)
    pick = torch.arange(5000) if a.whiten_first else torch.randperm(len(xtr), generator=gen)[:5000]
    init_whitening(net[0], xtr[pick])
    net = net.to(memory_format=torch.channels_last)

    batch, momentum = 1024, 0.85
    kilostep = 1024 * (1 + 1 / (1 - momentum))
    lr, wd = 11.5 / kilostep, 0.0153 * batch / kilostep
    norm_biases = [p for n, p in net.named_parameters() if p.requires_grad and p.dim() == 1 and not n.startswith('0.')]
    others = [p for p in net.parameters() if p.requires_grad and all(p is not q for q in norm_biases)]
    opt = torch.optim.SGD([dict(params=norm_biases, lr=lr * 64, weight_decay=wd / (lr * 64)),
                           dict(params=others, lr=lr, weight_decay=wd / lr)], momentum=momentum, nesterov=True)
    steps_per_epoch = len(xtr) // batch
    total = math.ceil(steps_per_epoch * a.epochs)
    warm = int(total * 0.23)

    def factor(step):
        if step < warm:
            return 0.2 + 0.8 * step / warm
        return 1.0 - 0.93 * (step - warm) / (total - warm)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    slow = {k: v.clone() for k, v in net.state_dict().items()}
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2, reduction='sum')
    flip_bits = torch.rand(len(xtr), generator=gen) < 0.5

    step, t0 = 0, time.perf_counter()
    for epoch in range(math.ceil(a.epochs)):
        net[0].bias.requires_grad = epoch < 3
        net.train()
        flips = flip_bits ^ (epoch % 2 == 1)
        order = torch.randperm(len(xtr), generator=gen)
        for i in range(steps_per_epoch):
            idx = order[i * batch:(i + 1) * batch]
            xb = xtr[idx]
            xb = torch.where(flips[idx].view(-1, 1, 1, 1), xb.flip(-1), xb)
            xb = translate_batch(xb, 2, gen).contiguous(memory_format=torch.channels_last)
            loss = loss_fn(net(xb), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 5 == 0 or step >= total:
                decay = 1.0 if step >= total else 0.95 ** 5 * (step / total) ** 3
                for k, v in net.state_dict().items():
                    if v.dtype.is_floating_point:
                        slow[k].lerp_(v, 1 - decay)
                        v.copy_(slow[k])
            if step >= total:
                break
        print(json.dumps({'epoch': epoch + 1, 'trainLoss': loss.item() / batch, 'seconds': time.perf_counter() - t0}),
              flush=True)
    train_seconds = time.perf_counter() - t0
    print(json.dumps({'ref': 'torch-fast-recipe', 'torch': torch.__version__, 'seed': a.seed, 'data': a.data,
                      'whitening': 'first' if a.whiten_first else 'random',
                      'testAcc': evaluate(net, xte, yte, 2), 'testAccNoTta': evaluate(net, xte, yte, 0),
                      'trainSeconds': train_seconds}), flush=True)


if __name__ == '__main__':
    main()
