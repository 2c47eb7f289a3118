export type { ZooOptions } from './common.js';
export { resnet, resnet18, resnet34, resnet50, type ResNetBlock, type ResNetStem, type ResNetOptions, type ResNetConfig } from './resnet.js';
export { densenet, densenet121, densenetCifar, type DenseNetConfig, type DenseNetCifarOptions } from './densenet.js';
export { mobilenetV2, type MobileNetV2Options } from './mobilenet-v2.js';
export { airbench94, AIRBENCH94_WIDTHS, type Airbench94Options, type Airbench94Widths } from './airbench.js';
