#!/usr/bin/env python3
"""Makes PyTorch reference fixtures for @cnn/models' weight import (run with Debian's python3-torch).

For each network: a state_dict in safetensors format (written by hand below: 8-byte little-endian header
length, JSON header {name: {dtype, shape, data_offsets}}, raw little-endian data; no `safetensors`
package needed), and an "io" safetensors file holding `input` (NHWC, float32) and `logits` (eval mode).

    /usr/bin/python3 scripts/torch-fixtures.py --out src/__fixtures__/torch --only resnet_w4_cifar
    /usr/bin/python3 scripts/torch-fixtures.py --out /tmp/fx            # all, incl. the large ones

Networks: resnet_w4_cifar (committed: ResNet-18 layout, base width 4, CIFAR stem, 2 classes),
mnistnet (the chapter's MNISTNet), resnet_w4_bottleneck (ImageNet stem, bottleneck blocks [1, 1, 1, 1]),
mobilenet_v2 and densenet121 (torchvision, 10 classes, 32x32 input).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck



def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy())
        if a.dtype == np.float32:
            dtype = 'F32'
        elif a.dtype == np.int64:
            dtype = 'I64'
        else:
            raise ValueError(f'{name}: unsupported dtype {a.dtype}')
        b = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


class MNISTNet(nn.Module):
    """The chapter's MNISTNet: conv5x5(32) → pool → conv5x5(64) → pool → fc(128) → dropout → fc(10) (184,586 parameters)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * 4 * 4, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc2(self.dropout(torch.relu(self.fc1(x.flatten(1)))))


class TinyResNet(nn.Module):
    """torchvision's ResNet with a configurable base width and stem (same module names)."""

    def __init__(self, block, layers, width, num_classes, stem):
        super().__init__()
        self.inplanes = width
        if stem == 'cifar':
            self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        else:
            self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if stem == 'imagenet' else nn.Identity()
        for i, n in enumerate(layers):
            setattr(self, f'layer{i + 1}', self._make_layer(block, width * 2 ** i, n, 1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width * 2 ** (len(layers) - 1) * block.expansion, num_classes)
        self.n = len(layers)

    def _make_layer(self, block, planes, blocks, stride):
        down = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False), nn.BatchNorm2d(planes * block.expansion))
        mods = [block(self.inplanes, planes, stride, down)]
        self.inplanes = planes * block.expansion
        mods += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.n):
            x = getattr(self, f'layer{i + 1}')(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomize_bn(model, gen):
    """Non-trivial BN statistics and affine parameters, so that their import is really tested."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)


def build(name):
    if name == 'resnet_w4_cifar':
        return TinyResNet(BasicBlock, [2, 2, 2, 2], 4, 2, 'cifar'), (2, 3, 16, 16)
    if name == 'resnet_w4_bottleneck':
        return TinyResNet(Bottleneck, [1, 1, 1, 1], 4, 3, 'imagenet'), (2, 3, 32, 32)
    if name == 'mnistnet':
        return MNISTNet(), (2, 1, 28, 28)
    if name == 'mobilenet_v2':
        return torchvision.models.mobilenet_v2(num_classes=10), (2, 3, 32, 32)
    if name == 'densenet121':
        return torchvision.models.densenet121(num_classes=10), (1, 3, 32, 32)
    raise SystemExit(f'unknown network {name}')


NAMES = ['resnet_w4_cifar', 'mnistnet', 'resnet_w4_bottleneck', 'mobilenet_v2', 'densenet121']


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True)
    p.add_argument('--only', nargs='*', default=NAMES)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(1)
    for name in a.only:
        torch.manual_seed(0)
        model, shape = build(name)
        gen = torch.Generator().manual_seed(1)
        randomize_bn(model, gen)
        model.eval()
        x = torch.rand(shape, generator=gen) * 2 - 1
        with torch.no_grad():
            logits = model(x)
        write_safetensors(os.path.join(a.out, f'{name}.safetensors'), model.state_dict())
        # NCHW -> NHWC for our input
        write_safetensors(os.path.join(a.out, f'{name}.io.safetensors'), {'input': x.permute(0, 2, 3, 1).contiguous(), 'logits': logits})
        print(name, tuple(logits.shape), sum(p.numel() for p in model.parameters()))


if __name__ == '__main__':
    main()
