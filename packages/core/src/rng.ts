/**
 * Seeded pseudo-random numbers for reproducible shuffling and augmentation.
 *
 * Generator: xoshiro128** 1.1 (D. Blackman and S. Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 47(4), 2021; reference C code at https://prng.di.unimi.it/xoshiro128starstar.c). 128 bits of state,
 * period 2^128 − 1, all arithmetic in 32-bit integers. As the authors recommend, the state is filled from a
 * SplitMix64 sequence started at the seed (reference: https://prng.di.unimi.it/splitmix64.c), so nearby
 * seeds give unrelated streams and the all-zero state cannot occur.
 *
 * @packageDocumentation
 */

import { CnnError } from './errors.js';

/** Serialisable generator state (plain JSON), as returned by {@link Rng.getState}. */
export interface RngState {
  /** Always `'xoshiro128**'`; checked by {@link Rng.setState}. */
  algorithm: 'xoshiro128**';
  /** The four 32-bit state words, each an unsigned integer in `[0, 2^32)`. */
  s: [number, number, number, number];
  /** The second value of the last Box–Muller pair, not yet returned by {@link Rng.normal}; `null` if none. */
  spareNormal: number | null;
}

/** A seeded generator. All draws advance the state; {@link Rng.getState} / {@link Rng.setState} save and restore it. */
export interface Rng {
  /** Uniform float in `[0, 1)` with 32 bits of resolution (one 32-bit draw divided by 2^32). */
  next(): number;
  /** Uniform unsigned 32-bit integer in `[0, 2^32)`. */
  nextUint32(): number;
  /**
   * Uniform integer in `[0, n)` without modulo bias (rejection sampling).
   * @throws CnnError (code `ERR_CNN_INVALID_OPTION`) if `n` is not an integer in `[1, 2^32]`.
   */
  nextInt(n: number): number;
  /** Standard normal draw (mean 0, standard deviation 1), Box–Muller transform; pairs are cached in the state. */
  normal(): number;
  /** A copy of the current state, safe to `JSON.stringify` into a checkpoint. */
  getState(): RngState;
  /**
   * Restores a state from {@link Rng.getState}; subsequent draws repeat exactly.
   * @throws CnnError (code `ERR_CNN_INVALID_STATE`) if the state is malformed (wrong algorithm, words not 32-bit
   *   unsigned integers, all zero).
   */
  setState(state: RngState): void;
}

const MASK64 = (1n << 64n) - 1n;
const SPLITMIX_GAMMA = 0x9e3779b97f4a7c15n;
const TWO_POW_32 = 4294967296;

/** One SplitMix64 output finaliser (Steele, Lea and Flood, OOPSLA 2014) over a 64-bit value. */
function splitmix64Mix(x: bigint): bigint {
  let z = x & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function checkSeed(seed: number, name: string): void {
  if (!Number.isSafeInteger(seed)) {
    throw new CnnError(`${name} must be a safe integer, got ${String(seed)}`, { code: 'ERR_CNN_INVALID_SEED' });
  }
}

/**
 * Derives an independent seed for sub-stream `stream` of `seed` (e.g. one per epoch), by SplitMix64-mixing
 * `seed XOR (stream · golden ratio)` and keeping the low 53 bits.
 *
 * @param seed - Any safe integer (negative values are taken modulo 2^64).
 * @param stream - Sub-stream index, a safe integer (e.g. the 0-based epoch).
 * @returns A non-negative safe integer, usable as a {@link createRng} seed.
 * @throws CnnError (code `ERR_CNN_INVALID_SEED`) if either argument is not a safe integer.
 */
export function deriveSeed(seed: number, stream: number): number {
  checkSeed(seed, 'seed');
  checkSeed(stream, 'stream');
  const x = BigInt.asUintN(64, BigInt(seed)) ^ BigInt.asUintN(64, BigInt(stream) * SPLITMIX_GAMMA);
  return Number(splitmix64Mix(x) & ((1n << 53n) - 1n));
}

/**
 * Creates a seeded xoshiro128** generator.
 *
 * Seeding: a SplitMix64 state starts at `seed` (taken modulo 2^64); its first two outputs, low word first,
 * give the four 32-bit state words (the same as feeding them to the reference C code).
 *
 * @param seed - A safe integer; default `0`.
 * @returns A generator; see {@link Rng}.
 * @throws CnnError (code `ERR_CNN_INVALID_SEED`) if `seed` is not a safe integer.
 */
export function createRng(seed = 0): Rng {
  checkSeed(seed, 'seed');
  let sm = BigInt.asUintN(64, BigInt(seed));
  const words: number[] = [];
  for (let i = 0; i < 2; i++) {
    sm = (sm + SPLITMIX_GAMMA) & MASK64;
    const out = splitmix64Mix(sm);
    words.push(Number(out & 0xffffffffn), Number(out >> 32n));
  }
  // SplitMix64 outputs are a bijection of distinct inputs, so two consecutive outputs cannot both be zero.
  let s0 = words[0] >>> 0;
  let s1 = words[1] >>> 0;
  let s2 = words[2] >>> 0;
  let s3 = words[3] >>> 0;
  let spare: number | null = null;

  const nextUint32 = (): number => {
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  };

  const next = (): number => nextUint32() / TWO_POW_32;

  return {
    next,
    nextUint32,
    nextInt(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
        throw new CnnError(`nextInt: n must be an integer in [1, 2^32], got ${String(n)}`, { code: 'ERR_CNN_INVALID_OPTION' });
      }
      // Reject the top partial block so every residue is equally likely.
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      let u = nextUint32();
      while (u >= limit) u = nextUint32();
      return u % n;
    },
    normal(): number {
      if (spare !== null) {
        const z = spare;
        spare = null;
        return z;
      }
      const u1 = 1 - next(); // (0, 1]: log is finite
      const u2 = next();
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
    getState(): RngState {
      return { algorithm: 'xoshiro128**', s: [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0], spareNormal: spare };
    },
    setState(state: RngState): void {
      if (state == null || state.algorithm !== 'xoshiro128**') {
        throw new CnnError(`setState: expected algorithm 'xoshiro128**', got ${JSON.stringify(state?.algorithm)}`, { code: 'ERR_CNN_INVALID_STATE' });
      }
      const s = state.s;
      if (!Array.isArray(s) || s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
        throw new CnnError(`setState: s must be four unsigned 32-bit integers, got ${JSON.stringify(s)}`, { code: 'ERR_CNN_INVALID_STATE' });
      }
      if (s.every((w) => w === 0)) throw new CnnError('setState: the all-zero state is invalid for xoshiro128**', { code: 'ERR_CNN_INVALID_STATE' });
      const sp = state.spareNormal;
      if (sp !== null && !(typeof sp === 'number' && Number.isFinite(sp))) {
        throw new CnnError(`setState: spareNormal must be a finite number or null, got ${String(sp)}`, { code: 'ERR_CNN_INVALID_STATE' });
      }
      [s0, s1, s2, s3] = s.map((w) => w | 0) as [number, number, number, number];
      spare = sp;
    },
  };
}

/**
 * Shuffles `array` in place with the Fisher–Yates algorithm (Durstenfeld's variant: for i from the end,
 * swap element i with a uniform j in `[0, i]`), drawing from `rng`.
 *
 * @param array - Any mutable indexed collection (Array, typed array).
 * @param rng - The generator; advanced by `array.length − 1` {@link Rng.nextInt} calls (more on rejection).
 * @returns The same `array`, for chaining.
 */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}
