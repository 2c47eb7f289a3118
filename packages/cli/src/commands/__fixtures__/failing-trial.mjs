// A trial script for `cnn search` tests: every trial fails with a known error.
import { serveTrial } from '@cnn/tune';

serveTrial(() => {
  throw new Error('boom: this trial always fails');
});
