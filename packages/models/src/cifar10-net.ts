import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm } from './batch-norm.js';
import { conv2d, dense } from './fused.js';
import { dropout } from './dropout.js';
import { layerInit, layerSeed } from './init.js';
import { resolveOptions, type ModelOptions } from './mnist-net.js';

/** Output channels of the three convolution blocks of {@link cifar10Net}: block → convs. */
const CIFAR10_BLOCKS: readonly (readonly number[])[] = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
];

/**
 * The chapter's CIFAR10Net: a VGG-style classifier for `[batch, 32, 32, 3]` float32 NHWC images
 * (normalised), returning `[batch, numClasses]` logits (no softmax).
 *
 * Three blocks of conv (3×3, 'same') → {@link BatchNorm} (PyTorch semantics: momentum 0.1, eps 1e-5,
 * biased batch variance for normalising, unbiased for the running variance) → ReLU, each block ending in a
 * max-pool 2 (32 → 16 → 8 → 4): block 1 = conv1_1, conv1_2 (64); block 2 = conv2_1, conv2_2 (128);
 * block 3 = conv3_1 … conv3_3 (256). Then flatten (`[batch, 4096]`, NHWC order) → fc1 (512) → bn_fc1 →
 * ReLU → dropout (0.5) → fc2 (numClasses).
 *
 * 3,841,610 trainable parameters and 3,328 non-trainable running statistics for 10 classes, as
 * `CIFAR10Net` in /work/shared/anchors/pytorch_reference.py (flatten is NHWC-ordered, PyTorch's NCHW, so
 * fc1 weights need a permutation to be exchanged). Weights use PyTorch's default initialisation unless
 * `init: 'keras'`.
 *
 * Layer names: conv1_1 … conv3_3, bn1_1 … bn3_3, relu1_1 … relu3_3, pool1 … pool3, flatten, fc1, bn_fc1,
 * relu_fc1, dropout, fc2.
 *
 * @param opts - {@link ModelOptions}: `numClasses` (default `10`), `seed`, `init` (default `'pytorch'`).
 * @returns An uncompiled `tf.Sequential`.
 * @throws Error on invalid {@link ModelOptions}.
 */
export function cifar10Net(opts: ModelOptions = {}): tfl.Sequential {
  const { numClasses, seed, init } = resolveOptions('cifar10Net', opts);
  const model = tfl.sequential({ name: 'cifar10net' });
  let inC = 3;
  let layerIndex = 0;
  CIFAR10_BLOCKS.forEach((convs, b) => {
    convs.forEach((outC, j) => {
      const id = `${b + 1}_${j + 1}`;
      model.add(
        conv2d({
          name: `conv${id}`,
          filters: outC,
          kernelSize: 3,
          padding: 'same',
          ...(layerIndex === 0 ? { inputShape: [32, 32, 3] } : {}),
          ...layerInit(init, 3 * 3 * inC, layerSeed(seed, layerIndex)),
        }),
      );
      model.add(batchNorm({ name: `bn${id}` }));
      model.add(tfl.layers.reLU({ name: `relu${id}` }));
      inC = outC;
      layerIndex++;
    });
    model.add(tfl.layers.maxPooling2d({ name: `pool${b + 1}`, poolSize: 2, strides: 2 }));
  });
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(dense({ name: 'fc1', units: 512, ...layerInit(init, 256 * 4 * 4, layerSeed(seed, layerIndex++)) }));
  model.add(batchNorm({ name: 'bn_fc1' }));
  model.add(tfl.layers.reLU({ name: 'relu_fc1' }));
  model.add(dropout({ name: 'dropout', rate: 0.5, seed: layerSeed(seed, layerIndex + 1) }));
  model.add(dense({ name: 'fc2', units: numClasses, ...layerInit(init, 512, layerSeed(seed, layerIndex)) }));
  return model;
}
