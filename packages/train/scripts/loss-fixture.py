#!/usr/bin/env python3
"""Generates src/__fixtures__/loss-torch.json: torch.nn.CrossEntropyLoss values and input gradients.

Run from packages/train with Debian's torch 1.13:  /usr/bin/python3 scripts/loss-fixture.py

Cases: reduction 'mean' and 'sum', label_smoothing 0 and 0.2, hard labels and soft labels (class
probabilities), on fixed float32 logits. Stored: the loss and d loss / d logits.
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float32)
B, K = 5, 4
logits = torch.tensor([[math.sin(1.7 * i + 0.3 * k) * 3 for k in range(K)] for i in range(B)])
labels = torch.tensor([0, 3, 1, 1, 2])
soft = torch.softmax(torch.tensor([[math.cos(0.9 * i + 1.1 * k) for k in range(K)] for i in range(B)]), 1)

cases = []
for reduction in ['mean', 'sum']:
    for smoothing in [0.0, 0.2]:
        for kind, target in [('hard', labels), ('soft', soft)]:
            x = logits.clone().requires_grad_(True)
            loss = torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)(x, target)
            loss.backward()
            cases.append({'reduction': reduction, 'labelSmoothing': smoothing, 'labels': kind,
                          'loss': loss.item(), 'grad': x.grad.tolist()})

out = {'generatedBy': f'scripts/loss-fixture.py with torch {torch.__version__}', 'logits': logits.tolist(),
       'labels': labels.tolist(), 'soft': soft.tolist(), 'cases': cases}
path = os.path.join(os.path.dirname(__file__), '..', 'src', '__fixtures__', 'loss-torch.json')
with open(path, 'w') as f:
    json.dump(out, f, indent=1)
    f.write('\n')
print(f'wrote {len(cases)} cases to {os.path.normpath(path)}')
