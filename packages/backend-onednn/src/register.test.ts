import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { NATIVE_KERNEL_NAMES, registerOnednnBackend } from './index.js';

describe('registration', () => {
  it('registers every cpu kernel under onednn', () => {
    const cpu = tf
      .getKernelsForBackend('cpu')
      .map((k) => k.kernelName)
      .sort();
    const onednn = new Set(tf.getKernelsForBackend('onednn').map((k) => k.kernelName));
    expect(cpu.length).toBeGreaterThan(150);
    expect(cpu.filter((name) => !onednn.has(name))).toEqual([]);
  });
  it('overrides the hot kernels with native ones', () => {
    for (const name of [
      'Conv2D',
      'FusedConv2D',
      'Conv2DBackpropInput',
      'Conv2DBackpropFilter',
      'MaxPool',
      'MaxPoolGrad',
      'AvgPool',
      'AvgPoolGrad',
      'BatchMatMul',
      '_FusedMatMul',
    ]) {
      expect(NATIVE_KERNEL_NAMES).toContain(name);
      expect(tf.getKernel(name, 'onednn')!.kernelFunc).not.toBe(tf.getKernel(name, 'cpu')!.kernelFunc);
    }
  });
  it('is idempotent and makes onednn the highest-priority backend', async () => {
    registerOnednnBackend();
    expect(tf.findBackendFactory('onednn')).not.toBeNull();
    await tf.setBackend('onednn');
    expect(tf.getBackend()).toBe('onednn');
  });
});
