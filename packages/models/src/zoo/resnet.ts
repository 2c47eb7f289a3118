import * as tfl from '@tensorflow/tfjs-layers';
import { bn, conv, globalAvgPool, input, linear, relu, ZooBuilder, type Sym, type ZooOptions } from './common.js';
import { ModelError } from '../errors.js';

/** Residual block type: `basic` (two 3×3 convs, expansion 1) or `bottleneck` (1×1, 3×3, 1×1, expansion 4). */
export type ResNetBlock = 'basic' | 'bottleneck';

/** Stem of a ResNet: `imagenet` (7×7/2 conv + 3×3/2 max-pool) or `cifar` (3×3/1 conv, no pool). */
export type ResNetStem = 'imagenet' | 'cifar';

/** Options of {@link resnet} and the named builders. */
export interface ResNetOptions extends ZooOptions {
  /** Stem. Default `'imagenet'` (input `[224, 224, 3]`); `'cifar'` defaults the input to `[32, 32, 3]`. */
  stem?: ResNetStem;
  /** Channels of `conv1` and of `layer1` (torchvision: 64); later stages double it. Default `64`. */
  baseWidth?: number;
}

/** Full description of a ResNet for {@link resnet}. */
export interface ResNetConfig extends ResNetOptions {
  /** Block type. */
  block: ResNetBlock;
  /** Blocks per stage (`layer1` … `layerN`), e.g. `[2, 2, 2, 2]` for ResNet-18. */
  layers: number[];
  /** Model name. Default `resnet`. */
  name?: string;
}

function basicBlock(b: ZooBuilder, x: Sym, prefix: string, planes: number, stride: number): Sym {
  const inC = x.shape[3] as number;
  let out = conv(b, x, { name: `${prefix}.conv1`, filters: planes, kernel: 3, stride });
  out = relu(bn(out, `${prefix}.bn1`), `${prefix}.relu1`);
  out = conv(b, out, { name: `${prefix}.conv2`, filters: planes, kernel: 3 });
  out = bn(out, `${prefix}.bn2`);
  let identity = x;
  if (stride !== 1 || inC !== planes) {
    identity = bn(conv(b, x, { name: `${prefix}.downsample.0`, filters: planes, kernel: 1, stride, padding: 0 }), `${prefix}.downsample.1`);
  }
  const sum = tfl.layers.add({ name: `${prefix}.add` }).apply([out, identity]) as Sym;
  return relu(sum, `${prefix}.relu`);
}

function bottleneck(b: ZooBuilder, x: Sym, prefix: string, planes: number, stride: number): Sym {
  const inC = x.shape[3] as number;
  const outC = planes * 4;
  let out = conv(b, x, { name: `${prefix}.conv1`, filters: planes, kernel: 1, padding: 0 });
  out = relu(bn(out, `${prefix}.bn1`), `${prefix}.relu1`);
  // torchvision's ResNet v1.5: the stride is on the 3×3 convolution.
  out = conv(b, out, { name: `${prefix}.conv2`, filters: planes, kernel: 3, stride });
  out = relu(bn(out, `${prefix}.bn2`), `${prefix}.relu2`);
  out = conv(b, out, { name: `${prefix}.conv3`, filters: outC, kernel: 1, padding: 0 });
  out = bn(out, `${prefix}.bn3`);
  let identity = x;
  if (stride !== 1 || inC !== outC) {
    identity = bn(conv(b, x, { name: `${prefix}.downsample.0`, filters: outC, kernel: 1, stride, padding: 0 }), `${prefix}.downsample.1`);
  }
  const sum = tfl.layers.add({ name: `${prefix}.add` }).apply([out, identity]) as Sym;
  return relu(sum, `${prefix}.relu`);
}

/**
 * A ResNet (He et al., "Deep Residual Learning for Image Recognition", 2015) as a tfjs-layers functional
 * model with torchvision's architecture (`torchvision.models.resnet`, v1.5: stride on the bottleneck's 3×3
 * conv) and torchvision's module paths as layer names, so that the state-dict key
 * `layer1.0.conv1.weight` is the kernel of our layer `layer1.0.conv1` (see `importTorchWeights`).
 *
 * Input `[batch, H, W, 3]` float32 NHWC, output `[batch, numClasses]` logits. Layers: `conv1`, `bn1`,
 * `relu`, `maxpool` (ImageNet stem), `layer{s}.{i}.conv{k}` / `.bn{k}` / `.downsample.0` (1×1 conv) /
 * `.downsample.1` (bn) / `.add` / `.relu`, `avgpool`, `fc`. Convolutions have no bias; padding is
 * PyTorch's (symmetric). Batch norm: {@link BatchNorm} (PyTorch semantics). Initialisation as torchvision
 * (`'pytorch'`): kaiming-normal fan-out convs, BN ones/zeros, default `Linear`.
 *
 * @throws Error on invalid options (non-positive widths, empty `layers`, bad {@link ZooOptions}).
 */
export function resnet(config: ResNetConfig): tfl.LayersModel {
  const stem = config.stem ?? 'imagenet';
  if (stem !== 'imagenet' && stem !== 'cifar') throw new ModelError(`resnet: stem must be 'imagenet' or 'cifar'. Received: stem=${String(stem)}`);
  const width = config.baseWidth ?? 64;
  if (!Number.isInteger(width) || width < 1) throw new ModelError(`resnet: baseWidth must be a positive integer. Received: baseWidth=${config.baseWidth}`);
  if (!Array.isArray(config.layers) || config.layers.length === 0 || config.layers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ModelError(`resnet: layers must be a non-empty array of positive integers. Received: layers=${JSON.stringify(config.layers)}`);
  }
  if (config.block !== 'basic' && config.block !== 'bottleneck')
    throw new ModelError(`resnet: block must be 'basic' or 'bottleneck'. Received: block=${String(config.block)}`);
  const b = new ZooBuilder('resnet', config, stem === 'cifar' ? [32, 32, 3] : [224, 224, 3]);
  const inp = input(b);
  let x: Sym;
  if (stem === 'imagenet') {
    x = conv(b, inp, { name: 'conv1', filters: width, kernel: 7, stride: 2, padding: 3 });
    x = relu(bn(x, 'bn1'), 'relu');
    // Zero padding equals PyTorch's -inf padding here: the input is post-ReLU (>= 0).
    x = tfl.layers.zeroPadding2d({ name: 'maxpool.pad', padding: 1 }).apply(x) as Sym;
    x = tfl.layers.maxPooling2d({ name: 'maxpool', poolSize: 3, strides: 2, padding: 'valid' }).apply(x) as Sym;
  } else {
    x = conv(b, inp, { name: 'conv1', filters: width, kernel: 3, stride: 1, padding: 1 });
    x = relu(bn(x, 'bn1'), 'relu');
  }
  const blockFn = config.block === 'basic' ? basicBlock : bottleneck;
  config.layers.forEach((n, s) => {
    const planes = width * 2 ** s;
    for (let i = 0; i < n; i++) {
      x = blockFn(b, x, `layer${s + 1}.${i}`, planes, i === 0 && s > 0 ? 2 : 1);
    }
  });
  x = globalAvgPool(x, 'avgpool');
  const out = linear(b, x, 'fc', b.numClasses);
  return tfl.model({ inputs: inp, outputs: out, name: config.name ?? 'resnet' });
}

/**
 * ResNet-18 (`torchvision.models.resnet18`): basic blocks `[2, 2, 2, 2]`; 11,689,512 trainable
 * parameters for 1000 classes and the ImageNet stem. `stem: 'cifar'` gives the CIFAR variant.
 * @throws Error on invalid options.
 */
export function resnet18(opts: ResNetOptions = {}): tfl.LayersModel {
  return resnet({ ...opts, block: 'basic', layers: [2, 2, 2, 2], name: 'resnet18' });
}

/**
 * ResNet-34 (`torchvision.models.resnet34`): basic blocks `[3, 4, 6, 3]`; 21,797,672 trainable
 * parameters for 1000 classes.
 * @throws Error on invalid options.
 */
export function resnet34(opts: ResNetOptions = {}): tfl.LayersModel {
  return resnet({ ...opts, block: 'basic', layers: [3, 4, 6, 3], name: 'resnet34' });
}

/**
 * ResNet-50 (`torchvision.models.resnet50`, v1.5): bottleneck blocks `[3, 4, 6, 3]`; 25,557,032
 * trainable parameters for 1000 classes.
 * @throws Error on invalid options.
 */
export function resnet50(opts: ResNetOptions = {}): tfl.LayersModel {
  return resnet({ ...opts, block: 'bottleneck', layers: [3, 4, 6, 3], name: 'resnet50' });
}
