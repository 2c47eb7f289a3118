export type { ZooOptions } from './common';
export { resnet, resnet18, resnet34, resnet50, type ResNetBlock, type ResNetStem, type ResNetOptions, type ResNetConfig } from './resnet';
export { densenet, densenet121, densenetCifar, type DenseNetConfig, type DenseNetCifarOptions } from './densenet';
export { mobilenetV2, type MobileNetV2Options } from './mobilenet-v2';
export { airbench94, AIRBENCH94_WIDTHS, type Airbench94Options, type Airbench94Widths } from './airbench';
