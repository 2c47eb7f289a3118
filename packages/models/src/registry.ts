import type * as tfl from '@tensorflow/tfjs-layers';
import { cifar10Net } from './cifar10-net.js';
import { improvedMnistNet, mnistNet, type ModelOptions } from './mnist-net.js';
import { densenet121, densenetCifar } from './zoo/densenet.js';
import { airbench94 } from './zoo/airbench.js';
import { mobilenetV2 } from './zoo/mobilenet-v2.js';
import { resnet18, resnet34, resnet50 } from './zoo/resnet.js';
import { ModelError } from './errors.js';

/** A registered model: builder plus metadata. */
export interface ModelEntry {
  /** Canonical name, e.g. `mnistnet`. */
  name: string;
  /** Other accepted names. */
  aliases: string[];
  /** One-line description. */
  description: string;
  /** Input shape without batch axis (NHWC). */
  inputShape: [number, number, number];
  /** Trainable parameters with the default 10 classes (matches PyTorch). */
  trainableParams: number;
  /** Builds a fresh, randomly initialised model (a `tf.Sequential` for the chapter's nets, functional for the zoo). */
  build: (opts?: ModelOptions) => tfl.LayersModel;
}

const MODELS: ModelEntry[] = [
  {
    name: 'mnistnet',
    aliases: [],
    description: "The chapter's MNISTNet (2 conv + 2 dense, dropout)",
    inputShape: [28, 28, 1],
    trainableParams: 184_586,
    build: mnistNet,
  },
  {
    name: 'improved',
    aliases: ['improved-mnistnet'],
    description: 'ImprovedMNISTNet (3 conv + batch norm, dropout)',
    inputShape: [28, 28, 1],
    trainableParams: 391_370,
    build: improvedMnistNet,
  },
  {
    name: 'cifar10net',
    aliases: ['cifar10-net'],
    description: "The chapter's CIFAR10Net (7 conv + batch norm in 3 blocks, 2 dense, dropout)",
    inputShape: [32, 32, 3],
    trainableParams: 3_841_610,
    build: cifar10Net,
  },
  // zoo (torchvision architectures and names; counts for 10 classes, torchvision's for 1000 in the builders' docs)
  {
    name: 'resnet18',
    aliases: [],
    description: 'ResNet-18 (torchvision, ImageNet stem)',
    inputShape: [224, 224, 3],
    trainableParams: 11_181_642,
    build: resnet18,
  },
  {
    name: 'resnet18-cifar',
    aliases: ['resnet18_cifar'],
    description: 'ResNet-18 with the CIFAR stem (3×3/1 conv, no max-pool)',
    inputShape: [32, 32, 3],
    trainableParams: 11_173_962,
    build: (o) => resnet18({ ...o, stem: 'cifar' }),
  },
  {
    name: 'resnet34',
    aliases: [],
    description: 'ResNet-34 (torchvision, ImageNet stem)',
    inputShape: [224, 224, 3],
    trainableParams: 21_289_802,
    build: resnet34,
  },
  {
    name: 'resnet50',
    aliases: [],
    description: 'ResNet-50 v1.5 (torchvision, bottleneck blocks)',
    inputShape: [224, 224, 3],
    trainableParams: 23_528_522,
    build: resnet50,
  },
  { name: 'densenet121', aliases: [], description: 'DenseNet-121 (torchvision)', inputShape: [224, 224, 3], trainableParams: 6_964_106, build: densenet121 },
  {
    name: 'densenet-bc',
    aliases: ['densenet_bc', 'densenet-cifar'],
    description: 'Small DenseNet-BC for 32×32 (k=12, 3 blocks of 6 layers)',
    inputShape: [32, 32, 3],
    trainableParams: 176_122,
    build: densenetCifar,
  },
  {
    name: 'mobilenet_v2',
    aliases: ['mobilenetv2', 'mobilenet-v2'],
    description: 'MobileNetV2 (torchvision, width 1.0)',
    inputShape: [224, 224, 3],
    trainableParams: 2_236_682,
    build: mobilenetV2,
  },
  {
    name: 'airbench94',
    aliases: ['airbench'],
    description: 'airbench94 (Jordan 2024): patch whitening, 3 conv groups with GELU, 94% on CIFAR-10 in ~10 epochs',
    inputShape: [32, 32, 3],
    trainableParams: 1_971_352,
    build: airbench94,
  },
];

/** Canonical names of the registered models, e.g. `['mnistnet', 'improved', 'cifar10net']`. */
export function listModels(): string[] {
  return MODELS.map((m) => m.name);
}

/**
 * Looks up a registered model's entry by name or alias (case-insensitive).
 * @throws Error listing the known names when `name` is unknown.
 */
export function getModelEntry(name: string): ModelEntry {
  const key = String(name).toLowerCase();
  const entry = MODELS.find((m) => m.name === key || m.aliases.includes(key));
  if (!entry) {
    const known = MODELS.flatMap((m) => [m.name, ...m.aliases]).join(', ');
    throw new ModelError(`getModel: unknown model '${name}'. Known models: ${known}`, { code: 'ERR_CNN_UNKNOWN_MODEL' });
  }
  return entry;
}

/**
 * Builds a registered model by name (`'mnistnet'`, `'improved'` / `'improved-mnistnet'`, `'cifar10net'`, and the zoo:
 * `'resnet18'`, `'resnet18-cifar'`, `'resnet34'`, `'resnet50'`, `'densenet121'`, `'densenet-bc'`, `'mobilenet_v2'`, `'airbench94'`).
 * @throws Error listing the known names when `name` is unknown, or on invalid options.
 */
export function getModel(name: string, opts: ModelOptions = {}): tfl.LayersModel {
  return getModelEntry(name).build(opts);
}
