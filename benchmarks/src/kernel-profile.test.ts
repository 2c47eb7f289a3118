import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cnn/backend-onednn';
import { beforeAll, describe, expect, it } from 'vitest';
import { instrumentKernels, kernelCategory, type KernelTally, type Phase } from './kernel-profile.js';

beforeAll(async () => {
  await selectBackend('onednn');
});

describe('instrumentKernels', () => {
  it('counts each kernel call once under its phase, nested engine calls inside the outer one, and restores the kernels', () => {
    const tally: KernelTally = { ms: new Map(), calls: new Map() };
    let phase: Phase = 'forward';
    const restore = instrumentKernels('onednn', tally, () => phase);
    try {
      const a = tf.ones([4, 4]);
      const m = tf.matMul(a, a);
      phase = 'update';
      const s = tf.add(m, 1);
      expect(Array.from(s.dataSync())).toEqual(new Array(16).fill(5));
      expect(tally.calls.get('BatchMatMul|forward')).toBe(1);
      expect(tally.calls.get('Add|update')).toBe(1);
      expect(tally.calls.has('Add|forward')).toBe(false);
      expect(tally.ms.get('BatchMatMul|forward')).toBeGreaterThanOrEqual(0);
      tf.dispose([a, m, s]);
    } finally {
      restore();
    }
    const before = tally.calls.get('Add|update');
    tf.tidy(() => tf.add(tf.ones([2]), 1));
    expect(tally.calls.get('Add|update')).toBe(before);
  });
});

describe('instrumentKernels by shape', () => {
  it('keys each call by kernel and input shapes', () => {
    const tally: KernelTally = { ms: new Map(), calls: new Map() };
    const restore = instrumentKernels('onednn', tally, () => 'backward', true);
    try {
      tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 5])));
    } finally {
      restore();
    }
    expect([...tally.calls]).toEqual([['BatchMatMul [2,3]x[3,5]|backward', 1]]);
  });
});

describe('kernelCategory', () => {
  it('sorts kernels into the profile categories (update and data phases by phase)', () => {
    expect(kernelCategory('Conv2DBackpropFilter', 'backward')).toBe('conv backward (filter)');
    expect(kernelCategory('FusedConv2D', 'forward')).toBe('conv forward');
    expect(kernelCategory('CnnBatchNormGrad', 'backward')).toBe('batchnorm');
    expect(kernelCategory('CnnGeluGrad', 'backward')).toBe('activation');
    expect(kernelCategory('MaxPoolGrad', 'backward')).toBe('pooling');
    expect(kernelCategory('BatchMatMul', 'update')).toBe('optimizer update');
    expect(kernelCategory('GatherV2', 'data')).toBe('data (augmentation, batch upload)');
    expect(kernelCategory('Sum', 'backward')).toBe('elementwise, loss, reshapes');
  });
});
