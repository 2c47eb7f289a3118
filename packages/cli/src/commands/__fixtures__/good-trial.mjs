// A trial script for `cnn search` tests: val_accuracy peaks at lr = 0.01.
import { serveTrial } from '@cnn/tune';

serveTrial((config) => ({ val_accuracy: 1 - (Math.log10(Number(config.lr)) + 2) ** 2 / 10 }));
