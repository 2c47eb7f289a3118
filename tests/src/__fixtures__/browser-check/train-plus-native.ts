// The same entry importing a native module (the oneDNN addon): the check must fail.
import '@cnn/backend-onednn';

export * from '@cnn/train';
