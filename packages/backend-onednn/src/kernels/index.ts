/** Every native kernel of the `onednn` backend, sorted by kernel name. */
import type { KernelConfig } from '@tensorflow/tfjs-core';

import { fusedMatMulConfig } from './_FusedMatMul.js';
import { addConfig } from './Add.js';
import { avgPoolConfig } from './AvgPool.js';
import { avgPoolGradConfig } from './AvgPoolGrad.js';
import { batchMatMulConfig } from './BatchMatMul.js';
import { clipByValueConfig } from './ClipByValue.js';
import { cnnAdamUpdateConfig } from './CnnAdamUpdate.js';
import { cnnBatchNormGradConfig } from './CnnBatchNormGrad.js';
import { cnnBatchNormTrainConfig } from './CnnBatchNormTrain.js';
import { cnnEmaUpdateConfig } from './CnnEmaUpdate.js';
import { cnnGeluConfig, cnnGeluGradConfig } from './CnnGelu.js';
import { cnnReluBiasGradConfig } from './CnnReluBiasGrad.js';
import { cnnSgdUpdateConfig } from './CnnSgdUpdate.js';
import { conv2DConfig } from './Conv2D.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { fusedBatchNormConfig } from './FusedBatchNorm.js';
import { fusedConv2DConfig } from './FusedConv2D.js';
import { gatherV2Config } from './GatherV2.js';
import { greaterEqualConfig } from './GreaterEqual.js';
import { maxPoolConfig } from './MaxPool.js';
import { maximumConfig } from './Maximum.js';
import { maxPoolGradConfig } from './MaxPoolGrad.js';
import { meanConfig } from './Mean.js';
import { minimumConfig } from './Minimum.js';
import { multiplyConfig } from './Multiply.js';
import { padV2Config } from './PadV2.js';
import { realDivConfig } from './RealDiv.js';
import { reluConfig } from './Relu.js';
import { sliceConfig } from './Slice.js';
import { squareConfig } from './Square.js';
import { squaredDifferenceConfig } from './SquaredDifference.js';
import { stepConfig } from './Step.js';
import { subConfig } from './Sub.js';
import { sumConfig } from './Sum.js';
import { tileConfig } from './Tile.js';

export const NATIVE_KERNEL_CONFIGS: readonly KernelConfig[] = [
  fusedMatMulConfig,
  addConfig,
  avgPoolConfig,
  avgPoolGradConfig,
  batchMatMulConfig,
  clipByValueConfig,
  cnnAdamUpdateConfig,
  cnnBatchNormGradConfig,
  cnnBatchNormTrainConfig,
  cnnEmaUpdateConfig,
  cnnGeluConfig,
  cnnGeluGradConfig,
  cnnReluBiasGradConfig,
  cnnSgdUpdateConfig,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  fusedBatchNormConfig,
  fusedConv2DConfig,
  gatherV2Config,
  greaterEqualConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  maximumConfig,
  meanConfig,
  minimumConfig,
  multiplyConfig,
  padV2Config,
  realDivConfig,
  reluConfig,
  sliceConfig,
  squareConfig,
  squaredDifferenceConfig,
  stepConfig,
  subConfig,
  sumConfig,
  tileConfig,
];
