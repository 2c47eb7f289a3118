import { CnnError } from '@cnn/core';
import { describe, expect, it } from 'vitest';
import { RandomErasing } from './erasing.js';
import { AugmentError } from './errors.js';

describe('AugmentError', () => {
  it('a parameter out of range: AugmentError with code ERR_CNN_AUGMENT_OPTION, message unchanged', () => {
    const err = (() => {
      try {
        new RandomErasing({ scale: [0.1, 2] });
      } catch (e) {
        return e;
      }
    })();
    expect(AugmentError.isInstance(err)).toBe(true);
    expect(CnnError.isInstance(err)).toBe(true);
    expect((err as AugmentError).code).toBe('ERR_CNN_AUGMENT_OPTION');
    expect((err as Error).message).toBe('RandomErasing: scale must lie in [0, 1]. Received: scale=[0.1,2]');
  });
});
