/** Native float32 `Multiply` for same-shape, row, scalar and other ≤ 4-d broadcasts (e.g. `[b,h,w,c] ⊙ [b,1,1,1]`); other cases use the JS kernel. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';

import { BinaryOp, binaryKernel } from './binary-impl.js';

export const multiplyConfig: KernelConfig = binaryKernel(tf.Multiply, BinaryOp.mul);
