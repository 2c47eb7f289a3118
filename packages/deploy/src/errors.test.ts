import { CnnError } from '@cnn/core';
import { describe, expect, it } from 'vitest';
import { DeployError, ModelFileError } from './errors.js';
import { parseModelJson } from './model-files.js';

describe('DeployError / ModelFileError', () => {
  it('a model.json that is not JSON: ModelFileError with code ERR_CNN_MODEL_FILE', () => {
    const err = (() => {
      try {
        parseModelJson('{not json', 'models/x/model.json');
      } catch (e) {
        return e;
      }
    })();
    expect(ModelFileError.isInstance(err)).toBe(true);
    expect(DeployError.isInstance(err)).toBe(true);
    expect(CnnError.isInstance(err)).toBe(true);
    expect((err as ModelFileError).code).toBe('ERR_CNN_MODEL_FILE');
    expect((err as Error).message).toMatch(/^models\/x\/model\.json is not valid JSON: /);
    expect(new DeployError('x').code).toBe('ERR_CNN_DEPLOY');
  });
});
