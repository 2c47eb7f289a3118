import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, shuffleInPlace } from './rng.js';
import { CnnError } from './errors.js';

// Known answers from the reference C code (prng.di.unimi.it splitmix64.c + xoshiro128starstar.c), compiled
// with gcc: state seeded from the first two splitmix64 outputs, low 32 bits first.
describe('createRng (xoshiro128**)', () => {
  it('matches the reference C implementation for a given state', () => {
    const rng = createRng(0);
    rng.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], spareNormal: null });
    const got = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('seeds from splitmix64 like the reference (seed 0 and 42)', () => {
    const r0 = createRng(0);
    expect(r0.getState().s).toEqual([2065550767, 3793791033, 2713282036, 1853398634]);
    expect(Array.from({ length: 6 }, () => r0.nextUint32())).toEqual([3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774]);
    const r42 = createRng(42);
    expect(r42.getState().s).toEqual([803958421, 3184996902, 2993090819, 686809907]);
    expect(Array.from({ length: 6 }, () => r42.nextUint32())).toEqual([1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]);
  });

  it('next() is nextUint32 / 2^32 in [0, 1)', () => {
    const r = createRng(0);
    expect(r.next()).toBe(3737715805 / 4294967296);
    const r2 = createRng(7);
    for (let i = 0; i < 1000; i++) {
      const v = r2.next();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });

  it('nextInt is in range and roughly uniform; rejects bad n', () => {
    const r = createRng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) counts[r.nextInt(6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
    expect(() => r.nextInt(0)).toThrow(/n must be an integer in \[1, 2\^32\], got 0/);
    expect(() => r.nextInt(2.5)).toThrow(/got 2.5/);
    expect(r.nextInt(1)).toBe(0);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const r = createRng(11);
    let s = 0;
    let s2 = 0;
    const n = 40000;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('getState/setState round-trips through JSON, including a pending normal', () => {
    const r = createRng(5);
    r.next();
    r.normal(); // leaves a spare
    const saved = JSON.parse(JSON.stringify(r.getState()));
    expect(saved.spareNormal).not.toBeNull();
    const a = [r.normal(), r.nextUint32(), r.next(), r.normal()];
    const r2 = createRng(999);
    r2.setState(saved);
    expect([r2.normal(), r2.nextUint32(), r2.next(), r2.normal()]).toEqual(a);
  });

  it('setState rejects malformed states', () => {
    const r = createRng(0);
    expect(() => r.setState({ algorithm: 'mt19937' as 'xoshiro128**', s: [1, 2, 3, 4], spareNormal: null })).toThrow(/xoshiro128/);
    expect(() => r.setState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spareNormal: null })).toThrow(/all-zero/);
    expect(() => r.setState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 2 ** 32] as never, spareNormal: null })).toThrow(/unsigned 32-bit/);
  });

  it('rejects non-integer seeds', () => {
    expect(() => createRng(1.5)).toThrow(/seed must be a safe integer, got 1.5/);
  });

  it('throws CnnError with a stable code for a bad seed and a malformed state', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        return CnnError.isInstance(err) ? err.code : 'not a CnnError';
      }
      return undefined;
    };
    expect(codeOf(() => createRng(Number.NaN))).toBe('ERR_CNN_INVALID_SEED');
    expect(codeOf(() => createRng(0).setState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spareNormal: null }))).toBe('ERR_CNN_INVALID_STATE');
  });
});

describe('deriveSeed', () => {
  it('is deterministic and separates streams', () => {
    expect(deriveSeed(1, 0)).toBe(deriveSeed(1, 0));
    const seen = new Set<number>();
    for (let s = 0; s < 4; s++) for (let k = 0; k < 50; k++) seen.add(deriveSeed(s, k));
    expect(seen.size).toBe(200);
    expect(Number.isSafeInteger(deriveSeed(-3, 7))).toBe(true);
  });
});

describe('shuffleInPlace', () => {
  it('is a permutation, seeded, and matches a hand-computed Fisher–Yates on the same draws', () => {
    const a = Int32Array.from({ length: 20 }, (_, i) => i);
    shuffleInPlace(a, createRng(1));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    // Replay: same draws applied by hand.
    const rng = createRng(1);
    const b = Array.from({ length: 20 }, (_, i) => i);
    for (let i = 19; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [b[i], b[j]] = [b[j], b[i]];
    }
    expect(Array.from(a)).toEqual(b);
    const c = Int32Array.from({ length: 20 }, (_, i) => i);
    expect(Array.from(shuffleInPlace(c, createRng(2)))).not.toEqual(Array.from(a));
  });

  it('gives each of the 6 permutations of 3 items about equally often', () => {
    const rng = createRng(9);
    const counts = new Map<string, number>();
    for (let t = 0; t < 12000; t++) {
      const key = shuffleInPlace([0, 1, 2], rng).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });
});
