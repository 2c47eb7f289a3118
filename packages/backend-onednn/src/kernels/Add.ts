/** Native float32 `Add` (same shape, row broadcast such as a bias, or scalar); other cases use the JS kernel. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';

import { BinaryOp, binaryKernel } from './binary-impl.js';

export const addConfig: KernelConfig = binaryKernel(tf.Add, BinaryOp.add);
