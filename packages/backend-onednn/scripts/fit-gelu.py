#!/usr/bin/env python3
"""Fits the float32 polynomial approximations of src/native/gelu.cc and prints them with their errors.

Run with Debian's python3 (numpy, mpmath): /usr/bin/python3 scripts/fit-gelu.py
  P: erf(z) = z·P(z²) on [0, 1]           (relative least squares on Chebyshev nodes)
  Q: erfc(a) = exp(−a²)·Q(t), t = 1/(1 + a/2), a in [1, 10]
  E: exp(r) on [−ln2/2, ln2/2]             (Cody–Waite reduced argument)
Then evaluates the whole Φ(x) = ½·erfc(−x/√2) in float32 (numpy) against mpmath over x in [−14, 6] and
prints the maximum absolute and relative errors.
"""
import mpmath
import numpy as np

mpmath.mp.dps = 40
f32 = np.float32


def fit(xs, target, basis, deg):
    a = np.stack([basis(xs) ** k for k in range(deg + 1)], 1) / target[:, None]
    c, *_ = np.linalg.lstsq(a, np.ones_like(target), rcond=None)
    return c


def horner(c, v):
    p = f32(c[-1])
    for k in range(len(c) - 2, -1, -1):
        p = (p * v + f32(c[k])).astype(f32)
    return p


def cheb(lo, hi, n=6000):
    return (np.cos(np.linspace(0, np.pi, n)) + 1) / 2 * (hi - lo) + lo


z = cheb(1e-6, 1.0)
P = fit(z, np.array([float(mpmath.erf(v) / v) for v in z]), lambda x: x * x, 6)
a = cheb(1.0, 10.0)
Q = fit(1 / (1 + 0.5 * a), np.array([float(mpmath.erfc(v) * mpmath.exp(v * v)) for v in a]), lambda x: x, 10)
L = np.log(2) / 2
r = cheb(-L, L)
E = fit(r, np.exp(r), lambda x: x, 6)


def exp_np(v):
    v = v.astype(f32)
    under = v < -87
    c = np.maximum(v, f32(-87))
    n = ((c * f32(1.44269504088896341) + f32(12582912)) - f32(12582912)).astype(f32)
    rr = ((c - n * f32(0.693145751953125)) - n * f32(1.42860682030941723e-6)).astype(f32)
    p = horner(E, rr)
    return np.where(under, f32(0), p * np.ldexp(f32(1), n.astype(np.int32)).astype(f32)).astype(f32)


def phi_np(x):
    x = x.astype(f32)
    zz = (x * f32(0.70710678118654752)).astype(f32)
    aa = np.abs(zz)
    s = (zz * zz).astype(f32)
    inner = (f32(0.5) + f32(0.5) * (zz * horner(P, s))).astype(f32)
    t = (f32(1) / (f32(1) + f32(0.5) * aa)).astype(f32)
    tail = (f32(0.5) * (exp_np(-s) * horner(Q, t))).astype(f32)
    outer = np.where(zz < 0, tail, f32(1) - tail)
    return np.where(aa < 1, inner, outer).astype(f32)


for name, c in (('P', P), ('Q', Q), ('E', E)):
    print(f'{name} (highest degree first):', ', '.join(f'{float(v):.17g}f' for v in c[::-1]))
xs = np.linspace(-14, 6, 400001)
ref = np.array([float(mpmath.ncdf(v)) for v in xs[::40]])
got = phi_np(xs[::40]).astype(np.float64)
big = ref > 1e-30
print('Phi: max abs error %.3g, max rel error %.3g (where Phi > 1e-30)' %
      (np.max(np.abs(got - ref)), np.max(np.abs(got[big] - ref[big]) / ref[big])))
