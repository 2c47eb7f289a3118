import * as tfl from '@tensorflow/tfjs-layers';
import { bn, conv, globalAvgPool, input, linear, relu, ZooBuilder, type Sym, type ZooOptions } from './common.js';
import { ModelError } from '../errors.js';

/** Options of {@link densenet}. */
export interface DenseNetConfig extends ZooOptions {
  /** New channels per dense layer (`k`). Default `32`. */
  growthRate?: number;
  /** Dense layers per block. Default `[6, 12, 24, 16]` (DenseNet-121). */
  blockConfig?: number[];
  /** Channels after the stem. Default `64`. */
  numInitFeatures?: number;
  /** Bottleneck width factor: the 1×1 conv has `bnSize * growthRate` channels. Default `4`. */
  bnSize?: number;
  /** Stem: `imagenet` (7×7/2 conv, BN, ReLU, 3×3/2 max-pool) or `cifar` (one 3×3/1 conv). Default `'imagenet'`. */
  stem?: 'imagenet' | 'cifar';
  /** Model name. Default `densenet`. */
  name?: string;
}

function positiveInt(fn: string, name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new ModelError(`${fn}: ${name} must be a positive integer. Received: ${name}=${String(v)}`);
  return v as number;
}

/**
 * DenseNet-BC (Huang et al., "Densely Connected Convolutional Networks", 2017) as a tfjs-layers functional
 * model with torchvision's architecture and module paths as layer names (`torchvision.models.densenet`):
 * `features.conv0`, `features.norm0`, `features.relu0`, `features.pool0`,
 * `features.denseblock{b}.denselayer{l}.{norm1,relu1,conv1,norm2,relu2,conv2,concat}`,
 * `features.transition{b}.{norm,relu,conv,pool}`, `features.norm5`, `relu5`, `avgpool`, `classifier`.
 *
 * Each dense layer is BN → ReLU → 1×1 conv (`bnSize·k`) → BN → ReLU → 3×3 conv (`k`), concatenated to
 * its input on the channel axis (in torchvision's order); transitions halve the channels (1×1 conv) and
 * the resolution (2×2 average pool). Input `[batch, H, W, 3]` NHWC, output `[batch, numClasses]` logits.
 *
 * @throws Error on invalid options.
 */
export function densenet(config: DenseNetConfig = {}): tfl.LayersModel {
  const fn = 'densenet';
  const k = positiveInt(fn, 'growthRate', config.growthRate ?? 32);
  const blocks = config.blockConfig ?? [6, 12, 24, 16];
  if (!Array.isArray(blocks) || blocks.length === 0)
    throw new ModelError(`${fn}: blockConfig must be a non-empty array. Received: blockConfig=${JSON.stringify(config.blockConfig)}`);
  blocks.forEach((n) => positiveInt(fn, 'blockConfig[i]', n));
  const init = positiveInt(fn, 'numInitFeatures', config.numInitFeatures ?? 64);
  const bnSize = positiveInt(fn, 'bnSize', config.bnSize ?? 4);
  const stem = config.stem ?? 'imagenet';
  if (stem !== 'imagenet' && stem !== 'cifar') throw new ModelError(`${fn}: stem must be 'imagenet' or 'cifar'. Received: stem=${String(stem)}`);
  const b = new ZooBuilder(fn, config, stem === 'cifar' ? [32, 32, 3] : [224, 224, 3]);
  const inp = input(b);
  let x: Sym;
  if (stem === 'imagenet') {
    x = conv(b, inp, { name: 'features.conv0', filters: init, kernel: 7, stride: 2, padding: 3 });
    x = relu(bn(x, 'features.norm0'), 'features.relu0');
    // post-ReLU input (>= 0): zero padding equals PyTorch's -inf padding of the max-pool
    x = tfl.layers.zeroPadding2d({ name: 'features.pool0.pad', padding: 1 }).apply(x) as Sym;
    x = tfl.layers.maxPooling2d({ name: 'features.pool0', poolSize: 3, strides: 2 }).apply(x) as Sym;
  } else {
    x = conv(b, inp, { name: 'features.conv0', filters: init, kernel: 3, stride: 1, padding: 1 });
  }
  blocks.forEach((n, bi) => {
    const block = `features.denseblock${bi + 1}`;
    for (let l = 1; l <= n; l++) {
      const p = `${block}.denselayer${l}`;
      let y = relu(bn(x, `${p}.norm1`), `${p}.relu1`);
      y = conv(b, y, { name: `${p}.conv1`, filters: bnSize * k, kernel: 1, padding: 0 });
      y = relu(bn(y, `${p}.norm2`), `${p}.relu2`);
      y = conv(b, y, { name: `${p}.conv2`, filters: k, kernel: 3, padding: 1 });
      x = tfl.layers.concatenate({ name: `${p}.concat`, axis: -1 }).apply([x, y]) as Sym;
    }
    if (bi !== blocks.length - 1) {
      const t = `features.transition${bi + 1}`;
      const c = x.shape[3] as number;
      x = relu(bn(x, `${t}.norm`), `${t}.relu`);
      x = conv(b, x, { name: `${t}.conv`, filters: Math.floor(c / 2), kernel: 1, padding: 0 });
      x = tfl.layers.averagePooling2d({ name: `${t}.pool`, poolSize: 2, strides: 2 }).apply(x) as Sym;
    }
  });
  x = relu(bn(x, 'features.norm5'), 'relu5');
  x = globalAvgPool(x, 'avgpool');
  const out = linear(b, x, 'classifier', b.numClasses);
  return tfl.model({ inputs: inp, outputs: out, name: config.name ?? fn });
}

/**
 * DenseNet-121 (`torchvision.models.densenet121`): growth 32, blocks `[6, 12, 24, 16]`, 64 initial
 * features; 7,978,856 trainable parameters for 1000 classes. Default input `[224, 224, 3]`.
 * @throws Error on invalid options.
 */
export function densenet121(opts: ZooOptions = {}): tfl.LayersModel {
  return densenet({ ...opts, growthRate: 32, blockConfig: [6, 12, 24, 16], numInitFeatures: 64, bnSize: 4, stem: 'imagenet', name: 'densenet121' });
}

/** Options of {@link densenetCifar}. */
export interface DenseNetCifarOptions extends ZooOptions {
  /** Growth rate `k`. Default `12`. */
  growthRate?: number;
  /** Dense layers per block. Default `[6, 6, 6]` (depth 40). */
  blockConfig?: number[];
}

/**
 * A small DenseNet-BC for `[batch, 32, 32, 3]` inputs (Huang et al.'s CIFAR variant): one 3×3 stem conv
 * with `2k` channels, three dense blocks (default 6 layers each, `k = 12`) with compression-0.5
 * transitions (32 → 16 → 8), BN-ReLU, global average pool, `classifier`. About 0.18 M parameters with the
 * defaults. Layer names as {@link densenet}.
 * @throws Error on invalid options.
 */
export function densenetCifar(opts: DenseNetCifarOptions = {}): tfl.LayersModel {
  const k = opts.growthRate ?? 12;
  return densenet({
    ...opts,
    growthRate: k,
    blockConfig: opts.blockConfig ?? [6, 6, 6],
    numInitFeatures: 2 * k,
    bnSize: 4,
    stem: 'cifar',
    name: 'densenet_bc',
  });
}
