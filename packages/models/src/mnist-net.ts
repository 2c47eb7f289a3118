import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm } from './batch-norm.js';
import { conv2d, dense } from './fused.js';
import { dropout } from './dropout.js';
import { layerInit, layerSeed, type InitScheme } from './init.js';
import { ModelError } from './errors.js';

/** Options shared by the model builders. */
export interface ModelOptions {
  /** Number of output logits. Default `10`. */
  numClasses?: number;
  /** Integer seed for the weight initialisers; `undefined` → unseeded. */
  seed?: number;
  /** Weight initialisation: `'pytorch'` (default, `torch.nn` defaults) or `'keras'` (glorot/zeros). */
  init?: InitScheme;
}

/** Validates {@link ModelOptions} and fills in the defaults. */
export function resolveOptions(fn: string, opts: ModelOptions = {}): Required<Omit<ModelOptions, 'seed'>> & { seed?: number } {
  const numClasses = opts.numClasses ?? 10;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ModelError(`${fn}: numClasses must be a positive integer. Received: numClasses=${opts.numClasses}`);
  }
  if (opts.seed !== undefined && !Number.isInteger(opts.seed)) {
    throw new ModelError(`${fn}: seed must be an integer. Received: seed=${opts.seed}`);
  }
  const init = opts.init ?? 'pytorch';
  if (init !== 'pytorch' && init !== 'keras') {
    throw new ModelError(`${fn}: init must be 'pytorch' or 'keras'. Received: init=${String(init)}`);
  }
  return { numClasses, seed: opts.seed, init };
}

/**
 * The chapter's MNISTNet: a two-conv LeNet-style classifier for `[batch, 28, 28, 1]` float32 NHWC
 * images, returning `[batch, numClasses]` logits (no softmax).
 *
 * conv1 (5×5, 32, valid, ReLU fused) → pool1 (max 2) → conv2 (5×5, 64, valid, ReLU fused) → pool2 →
 * flatten (`[batch, 1024]`, NHWC order) → fc1 (128, ReLU) → dropout (0.5) → fc2 (numClasses).
 * 184,586 trainable parameters for 10 classes, as `MNISTNet` in
 * /work/shared/anchors/pytorch_reference.py (note: flatten is NHWC-ordered, PyTorch's is NCHW, so
 * fc1 weights are not interchangeable without a permutation).
 *
 * @throws Error on invalid {@link ModelOptions}.
 */
export function mnistNet(opts: ModelOptions = {}): tfl.Sequential {
  const { numClasses, seed, init } = resolveOptions('mnistNet', opts);
  const model = tfl.sequential({ name: 'mnistnet' });
  model.add(
    conv2d({
      name: 'conv1',
      inputShape: [28, 28, 1],
      filters: 32,
      kernelSize: 5,
      padding: 'valid',
      activation: 'relu',
      ...layerInit(init, 5 * 5 * 1, layerSeed(seed, 0)),
    }),
  );
  model.add(tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }));
  model.add(
    conv2d({
      name: 'conv2',
      filters: 64,
      kernelSize: 5,
      padding: 'valid',
      activation: 'relu',
      ...layerInit(init, 5 * 5 * 32, layerSeed(seed, 1)),
    }),
  );
  model.add(tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }));
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(dense({ name: 'fc1', units: 128, activation: 'relu', ...layerInit(init, 64 * 4 * 4, layerSeed(seed, 2)) }));
  model.add(dropout({ name: 'dropout', rate: 0.5, seed: layerSeed(seed, 4) }));
  model.add(dense({ name: 'fc2', units: numClasses, ...layerInit(init, 128, layerSeed(seed, 3)) }));
  return model;
}

/**
 * The chapter's improved MNIST network with batch normalisation, for `[batch, 28, 28, 1]` float32
 * NHWC images, returning `[batch, numClasses]` logits.
 *
 * Three blocks conv (3×3, same) → {@link BatchNorm} (PyTorch semantics) → ReLU → max-pool 2
 * (32, 64, 128 channels; 28 → 14 → 7 → 3, floor) → flatten (`[batch, 1152]`) → fc1 (256) → bn_fc →
 * ReLU → dropout (0.5) → fc2 (numClasses). 391,370 trainable parameters and 960 non-trainable
 * running statistics for 10 classes, as `ImprovedMNISTNet` in /work/shared/anchors/pytorch_reference.py.
 * Layer names: conv1..conv3, bn1..bn3, relu1..relu3, pool1..pool3, flatten, fc1, bn_fc, relu_fc,
 * dropout, fc2.
 *
 * @throws Error on invalid {@link ModelOptions}.
 */
export function improvedMnistNet(opts: ModelOptions = {}): tfl.Sequential {
  const { numClasses, seed, init } = resolveOptions('improvedMnistNet', opts);
  const model = tfl.sequential({ name: 'improved_mnistnet' });
  const channels = [32, 64, 128];
  let inC = 1;
  channels.forEach((outC, i) => {
    const k = i + 1;
    model.add(
      conv2d({
        name: `conv${k}`,
        filters: outC,
        kernelSize: 3,
        padding: 'same',
        ...(i === 0 ? { inputShape: [28, 28, 1] } : {}),
        ...layerInit(init, 3 * 3 * inC, layerSeed(seed, i)),
      }),
    );
    model.add(batchNorm({ name: `bn${k}` }));
    model.add(tfl.layers.reLU({ name: `relu${k}` }));
    model.add(tfl.layers.maxPooling2d({ name: `pool${k}`, poolSize: 2, strides: 2 }));
    inC = outC;
  });
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(dense({ name: 'fc1', units: 256, ...layerInit(init, 128 * 3 * 3, layerSeed(seed, 3)) }));
  model.add(batchNorm({ name: 'bn_fc' }));
  model.add(tfl.layers.reLU({ name: 'relu_fc' }));
  model.add(dropout({ name: 'dropout', rate: 0.5, seed: layerSeed(seed, 5) }));
  model.add(dense({ name: 'fc2', units: numClasses, ...layerInit(init, 256, layerSeed(seed, 4)) }));
  return model;
}
