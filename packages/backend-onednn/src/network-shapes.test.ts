import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients (tfjs-core's CJS entry does not)
import { beforeAll, describe, expect, it } from 'vitest';

import { getBinding } from './index.js';
import { describeShapeCase, NETWORK_SHAPES, runShapeCase } from '../scripts/network-shapes.js';

describe('network shapes run on optimised oneDNN implementations', () => {
  beforeAll(async () => {
    await tf.setBackend('onednn');
    getBinding().clearCache();
  });
  it('the table covers the three networks at training batch and batch 1', () => {
    const nets = new Set(NETWORK_SHAPES.map((c) => `${c.network}@${c.batch}`));
    expect([...nets].sort()).toEqual(['CIFAR10Net@1', 'CIFAR10Net@128', 'ImprovedMNISTNet@1', 'ImprovedMNISTNet@64', 'MNISTNet@1', 'MNISTNet@64']);
  });
  for (const c of NETWORK_SHAPES) {
    it(describeShapeCase(c), () => {
      const before = getBinding().getPrimitiveImpls().length;
      runShapeCase(c);
      const impls = getBinding().getPrimitiveImpls();
      // Every case creates (or reuses) primitives; none may be a reference implementation.
      expect(impls.filter((r) => r.impl.startsWith('ref'))).toEqual([]);
      expect(impls.length).toBeGreaterThanOrEqual(before);
    });
  }
  it('recorded a native primitive for every conv/pool/matmul kernel', () => {
    const kernels = new Set(
      getBinding()
        .getPrimitiveImpls()
        .map((r) => r.kernel),
    );
    for (const k of ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPool', 'MaxPoolGrad', '_FusedMatMul', 'BatchMatMul']) {
      expect(kernels.has(k === 'FusedConv2D' ? 'Conv2D' : k), k).toBe(true);
    }
  });
});
