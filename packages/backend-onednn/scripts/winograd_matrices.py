#!/usr/bin/env python3
"""Toom-Cook matrices of the Winograd convolutions F(m x m, 3x3) in src/native/winograd.cc, and their float32 error.

For an output tile m and n = m + 2 interpolation points (n - 1 finite points and infinity), builds Lavin & Gray's
A^T (m x n), G (n x 3) and B^T (n x n) in exact rational arithmetic (sympy): A^T[i][j] = p_j^i, G[j][k] =
p_j^k / prod_{l != j} (p_j - p_l), the infinity column/row picking the leading coefficient, and B^T solved from
the identity A^T diag(G g) B^T d = (the valid correlation of d with g) for all g, d, which the script then checks
term by term. Prints the C++ tables (`--cpp`) or measures the float32 relative RMS error of a 2-D tile against a
float64 direct convolution over 256 channels of N(0, 1) data and He-scaled filters (default).

  /usr/bin/python3 packages/backend-onednn/scripts/winograd_matrices.py [--cpp]

Needs sympy and numpy (Debian: python3-sympy python3-numpy).
"""
import sys
from fractions import Fraction

import numpy as np
import sympy as sp

HALF, QUARTER = Fraction(1, 2), Fraction(1, 4)
# The finite points per output tile. m = 2 and 4 are the hand-written F2x2 / F4x4 of winograd.cc (same points).
POINTS = {
    2: [0, 1, -1],
    3: [0, 1, -1, 2],
    4: [0, 1, -1, 2, -2],
    5: [0, 1, -1, 2, -2, HALF],
    6: [0, 1, -1, 2, -2, HALF, -HALF],
    7: [0, 1, -1, 2, -2, HALF, -HALF, QUARTER],
}


def matrices(m, points, r=3):
    """(A^T, G, B^T) as sympy matrices for F(m, r) on `points` and infinity."""
    n = m + r - 1
    p = [sp.Rational(Fraction(x)) for x in points]
    assert len(p) == n - 1
    at = sp.zeros(m, n)
    for i in range(m):
        for j in range(n - 1):
            at[i, j] = p[j] ** i
    at[m - 1, n - 1] = 1
    g = sp.zeros(n, r)
    for j in range(n - 1):
        f = sp.prod([p[j] - p[l] for l in range(n - 1) if l != j])
        for k in range(r):
            g[j, k] = p[j] ** k / f
    g[n - 1, r - 1] = 1
    system = sp.zeros(m * r, n)
    for i in range(m):
        for k in range(r):
            for j in range(n):
                system[i * r + k, j] = at[i, j] * g[j, k]
    bt = sp.zeros(n, n)
    for l in range(n):
        rhs = sp.Matrix([1 if l == i + k else 0 for i in range(m) for k in range(r)])
        sol, params = system.gauss_jordan_solve(rhs)
        sol = sol.subs({t: 0 for t in params})
        for j in range(n):
            bt[j, l] = sol[j]
    for i in range(m):
        for k in range(r):
            for l in range(n):
                assert sum(at[i, j] * g[j, k] * bt[j, l] for j in range(n)) == (1 if l == i + k else 0)
    return at, g, bt


def cpp_number(v):
    v = sp.Rational(v)
    if v.q == 1:
        return f"{v.p}.f"
    return f"{v.p}.f / {v.q}"


def cpp_table(name, mat):
    rows = ["{" + ", ".join(cpp_number(mat[i, j]) for j in range(mat.shape[1])) + "}" for i in range(mat.shape[0])]
    return f"  static constexpr float {name}[{mat.shape[0]}][{mat.shape[1]}] = {{" + ", ".join(rows) + "};"


def relative_error(m, points, channels=256, tiles=64, seed=0):
    at, g, bt = (np.array(x.tolist(), dtype=np.float64) for x in matrices(m, points))
    at32, g32, bt32 = at.astype(np.float32), g.astype(np.float32), bt.astype(np.float32)
    n = m + 2
    rng = np.random.default_rng(seed)
    d = rng.standard_normal((tiles, channels, n, n)).astype(np.float32)
    w = (rng.standard_normal((channels, 3, 3)) * np.sqrt(2 / (9 * channels))).astype(np.float32)
    ref = np.zeros((tiles, m, m))
    for a in range(m):
        for b in range(m):
            ref[:, a, b] = np.einsum("tcij,cij->t", d[:, :, a : a + 3, b : b + 3].astype(np.float64), w.astype(np.float64))
    u = np.einsum("ak,ckl,bl->cab", g32, w, g32).astype(np.float32)
    v = np.einsum("ai,tcij,bj->tcab", bt32, d, bt32).astype(np.float32)
    prod = np.einsum("cab,tcab->tab", u, v).astype(np.float32)
    y = np.einsum("ia,tab,jb->tij", at32, prod, at32).astype(np.float32)
    return float(np.sqrt(np.mean((y - ref) ** 2) / np.mean(ref**2)))


def main():
    if "--cpp" in sys.argv:
        for m in (3, 5, 6, 7):
            at, g, bt = matrices(m, POINTS[m])
            pts = ", ".join(str(Fraction(x)) for x in POINTS[m])
            print(f"/** F({m}x{m}, 3x3): the points {{{pts}, inf}}. */")
            print(f"template <>\nstruct ToomCook<{m}> {{")
            print(cpp_table("kBT", bt))
            print(cpp_table("kG", g))
            print(cpp_table("kAT", at))
            print("};\n")
        return
    for m, points in POINTS.items():
        e = np.mean([relative_error(m, points, seed=s) for s in range(3)])
        print(f"F({m}x{m}, 3x3) points {[str(Fraction(x)) for x in points]}: relative RMS error {e:.2e}")


if __name__ == "__main__":
    main()
