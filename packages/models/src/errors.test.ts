import { CnnError } from '@cnn/core';
import { describe, expect, it } from 'vitest';
import { ModelError } from './errors.js';
import { getModel } from './registry.js';

describe('ModelError', () => {
  it('an unknown model name: ModelError with code ERR_CNN_UNKNOWN_MODEL, message unchanged', () => {
    const err = (() => {
      try {
        getModel('no-such-net');
      } catch (e) {
        return e;
      }
    })();
    expect(ModelError.isInstance(err)).toBe(true);
    expect(CnnError.isInstance(err)).toBe(true);
    expect((err as ModelError).code).toBe('ERR_CNN_UNKNOWN_MODEL');
    expect((err as Error).message).toMatch(/^getModel: unknown model 'no-such-net'\. Known models: /);
    expect(new ModelError('x').code).toBe('ERR_CNN_MODEL_OPTION');
  });
});
