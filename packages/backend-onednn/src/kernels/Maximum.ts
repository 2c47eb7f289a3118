/** Native float32 `Maximum` for same-shape, row, scalar and other ≤ 4-d broadcasts; other cases use the JS kernel. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';

import { BinaryOp, binaryKernel } from './binary-impl.js';

export const maximumConfig: KernelConfig = binaryKernel(tf.Maximum, BinaryOp.max);
