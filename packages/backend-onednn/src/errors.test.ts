import { CnnError } from '@cnn/core';
import { describe, expect, it } from 'vitest';
import { loadBinding, OnednnError, OnednnUnavailableError } from './binding.js';

describe('OnednnUnavailableError / OnednnError', () => {
  it('an addon path that does not exist: OnednnUnavailableError (a CnnError) with code ERR_CNN_ONEDNN_UNAVAILABLE', () => {
    const err = (() => {
      try {
        loadBinding('/no/such/onednn_binding.node');
      } catch (e) {
        return e;
      }
    })();
    expect(OnednnUnavailableError.isInstance(err)).toBe(true);
    expect(CnnError.isInstance(err)).toBe(true);
    expect((err as OnednnUnavailableError).code).toBe('ERR_CNN_ONEDNN_UNAVAILABLE');
    expect((err as OnednnUnavailableError).attempts).toEqual([{ kind: 'custom', path: '/no/such/onednn_binding.node', reason: 'file not found' }]);
    expect((err as Error).message).toMatch(
      /^@cnn\/backend-onednn: cannot load the native addon on .*Tried:\n {2}- custom \/no\/such\/onednn_binding\.node: file not found\n/,
    );
    expect(OnednnError.isInstance(err)).toBe(false);
    expect(new OnednnError('x').code).toBe('ERR_CNN_ONEDNN');
  });
});
