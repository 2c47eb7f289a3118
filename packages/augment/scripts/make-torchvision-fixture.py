"""Known answers for @cnn/augment from torchvision.transforms.functional (run with /usr/bin/python3).

Writes src/__fixtures__/torchvision-functional.json: a fixed 5x6 RGB float image in [0, 1] (HWC, row-major)
and the outputs (HWC) of adjust_brightness / adjust_contrast / adjust_saturation / adjust_hue, rotate and
affine (nearest interpolation, fill 0) for a few parameter values.
"""
import json
import os

import torch
import torchvision
import torchvision.transforms.functional as F

H, W = 5, 6
# A fixed image with saturated, grey and mixed pixels: value (y, x, c) = ((7y + 3x + 5c) mod 11) / 10
# clipped to [0, 1]; plus a pure grey pixel and a pure red pixel.
img = torch.tensor([[[min(((7 * y + 3 * x + 5 * c) % 11) / 10.0, 1.0) for x in range(W)] for y in range(H)] for c in range(3)])
img[:, 0, 0] = 0.5
img[:, 0, 1] = torch.tensor([1.0, 0.0, 0.0])


def hwc(t):
    return t.permute(1, 2, 0).reshape(-1).tolist()


cases = []
for f in (0.0, 0.5, 1.0, 1.7):
    cases.append({"op": "brightness", "factor": f, "out": hwc(F.adjust_brightness(img, f))})
for f in (0.0, 0.6, 1.0, 1.8):
    cases.append({"op": "contrast", "factor": f, "out": hwc(F.adjust_contrast(img, f))})
for f in (0.0, 0.4, 1.0, 2.0):
    cases.append({"op": "saturation", "factor": f, "out": hwc(F.adjust_saturation(img, f))})
for f in (-0.5, -0.25, 0.0, 0.1, 0.45):
    cases.append({"op": "hue", "factor": f, "out": hwc(F.adjust_hue(img, f))})

square = img[:, :5, :5].contiguous()
geo = []
for angle in (90.0, -90.0, 30.0):
    geo.append({"op": "rotate", "angle": angle, "out": hwc(F.rotate(square, angle))})
geo.append({"op": "affine", "angle": 20.0, "translate": [1, -1], "scale": 1.2, "shear": [10.0, 0.0],
            "out": hwc(F.affine(square, angle=20.0, translate=[1, -1], scale=1.2, shear=[10.0, 0.0]))})

out = {
    "generator": f"scripts/make-torchvision-fixture.py (torch {torch.__version__}, torchvision {torchvision.__version__})",
    "height": H, "width": W, "image": hwc(img), "color": cases,
    "square": {"size": 5, "image": hwc(square), "cases": geo},
}
path = os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "torchvision-functional.json")
with open(path, "w") as fh:
    json.dump(out, fh)
    fh.write("\n")
print("wrote", os.path.normpath(path))
