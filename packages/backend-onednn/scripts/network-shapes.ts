/**
 * The benchmarks' table: every conv / pool / dense shape used by the apps' networks (MNISTNet, ImprovedMNISTNet, CIFAR10Net) at
 * training and single-image batch sizes, so tests and `scripts/check-impls.ts` can assert that none of them
 * runs on a slow oneDNN `ref:` implementation.
 */
import * as tf from '@tensorflow/tfjs-core';

/** One layer shape at one batch size. */
export type ShapeCase =
  | {
      network: string;
      op: 'conv2d';
      batch: number;
      /** `[height, width, inChannels]` of the layer input. */
      input: [number, number, number];
      /** `[fh, fw, inC, outC]` (HWIO). */
      filter: [number, number, number, number];
      pad: 'same' | 'valid';
      /** Fused activation of the forward pass (layers fuse conv + bias + relu when there is no BatchNorm). */
      activation: 'relu' | 'linear';
    }
  | {
      network: string;
      op: 'maxPool';
      batch: number;
      input: [number, number, number];
      /** Pool size = stride. */
      size: number;
    }
  | {
      network: string;
      op: 'dense';
      batch: number;
      inUnits: number;
      outUnits: number;
      activation: 'relu' | 'linear';
    };

function conv(
  network: string,
  batch: number,
  hw: number,
  inC: number,
  outC: number,
  k: number,
  pad: 'same' | 'valid',
  activation: 'relu' | 'linear',
): ShapeCase {
  return { network, op: 'conv2d', batch, input: [hw, hw, inC], filter: [k, k, inC, outC], pad, activation };
}
function pool(network: string, batch: number, hw: number, c: number): ShapeCase {
  return { network, op: 'maxPool', batch, input: [hw, hw, c], size: 2 };
}
function dense(network: string, batch: number, inUnits: number, outUnits: number, activation: 'relu' | 'linear'): ShapeCase {
  return { network, op: 'dense', batch, inUnits, outUnits, activation };
}

function mnistNet(batch: number): ShapeCase[] {
  const n = 'MNISTNet';
  return [
    conv(n, batch, 28, 1, 32, 5, 'valid', 'relu'),
    pool(n, batch, 24, 32),
    conv(n, batch, 12, 32, 64, 5, 'valid', 'relu'),
    pool(n, batch, 8, 64),
    dense(n, batch, 1024, 128, 'relu'),
    dense(n, batch, 128, 10, 'linear'),
  ];
}

function improvedMnistNet(batch: number): ShapeCase[] {
  const n = 'ImprovedMNISTNet';
  return [
    conv(n, batch, 28, 1, 32, 3, 'same', 'linear'),
    pool(n, batch, 28, 32),
    conv(n, batch, 14, 32, 64, 3, 'same', 'linear'),
    pool(n, batch, 14, 64),
    conv(n, batch, 7, 64, 128, 3, 'same', 'linear'),
    pool(n, batch, 7, 128),
    dense(n, batch, 1152, 256, 'relu'),
    dense(n, batch, 256, 10, 'linear'),
  ];
}

function cifar10Net(batch: number): ShapeCase[] {
  const n = 'CIFAR10Net';
  return [
    conv(n, batch, 32, 3, 64, 3, 'same', 'relu'),
    conv(n, batch, 32, 64, 64, 3, 'same', 'relu'),
    pool(n, batch, 32, 64),
    conv(n, batch, 16, 64, 128, 3, 'same', 'relu'),
    conv(n, batch, 16, 128, 128, 3, 'same', 'relu'),
    pool(n, batch, 16, 128),
    conv(n, batch, 8, 128, 256, 3, 'same', 'relu'),
    conv(n, batch, 8, 256, 256, 3, 'same', 'relu'),
    pool(n, batch, 8, 256),
    dense(n, batch, 4096, 512, 'relu'),
    dense(n, batch, 512, 10, 'linear'),
  ];
}

/** All layer shapes of the three networks at their training batch (64, 64, 128) and at batch 1. */
export const NETWORK_SHAPES: readonly ShapeCase[] = [
  ...mnistNet(64),
  ...mnistNet(1),
  ...improvedMnistNet(64),
  ...improvedMnistNet(1),
  ...cifar10Net(128),
  ...cifar10Net(1),
];

/** Short label, e.g. `"MNISTNet conv2d b64 28x28x1 5x5x1x32 valid relu"`. */
export function describeShapeCase(c: ShapeCase): string {
  switch (c.op) {
    case 'conv2d':
      return `${c.network} conv2d b${c.batch} ${c.input.join('x')} ${c.filter.join('x')} ${c.pad} ${c.activation}`;
    case 'maxPool':
      return `${c.network} maxPool b${c.batch} ${c.input.join('x')} ${c.size}x${c.size}`;
    case 'dense':
      return `${c.network} dense b${c.batch} ${c.inUnits}->${c.outUnits} ${c.activation}`;
  }
}

/**
 * Runs one case forward and backward (all input gradients) on the active backend, with random data,
 * disposing everything. Conv: fused conv + bias + activation, grads of x, filter, bias. Pool: max pool and its
 * dy path. Dense: fused matmul + bias + activation, grads of x, kernel, bias (transposed matmuls).
 */
export function runShapeCase(c: ShapeCase): void {
  tf.tidy(() => {
    if (c.op === 'conv2d') {
      const x = tf.randomNormal([c.batch, ...c.input]);
      const w = tf.randomNormal(c.filter, 0, 0.1);
      const b = tf.randomNormal([c.filter[3]]);
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(
          tf.fused.conv2d({
            x: xx as tf.Tensor4D,
            filter: ww as tf.Tensor4D,
            bias: bb,
            strides: 1,
            pad: c.pad,
            activation: c.activation,
          }),
        ),
      );
      g([x, w, b]).forEach((t) => t.dataSync());
    } else if (c.op === 'maxPool') {
      const x = tf.randomNormal([c.batch, ...c.input]);
      tf.grad((xx: tf.Tensor) => tf.sum(tf.maxPool(xx as tf.Tensor4D, c.size, c.size, 'valid')))(x).dataSync();
    } else {
      const x = tf.randomNormal([c.batch, c.inUnits]);
      const w = tf.randomNormal([c.inUnits, c.outUnits], 0, 0.1);
      const b = tf.randomNormal([c.outUnits]);
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(
          tf.fused.matMul({
            a: xx as tf.Tensor2D,
            b: ww as tf.Tensor2D,
            bias: bb,
            activation: c.activation,
          }),
        ),
      );
      g([x, w, b]).forEach((t) => t.dataSync());
    }
  });
}
