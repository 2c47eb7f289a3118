// Importing the package registers the `onednn` backend and its kernels (side effect).
import './register.js';

export { BACKEND_NAME, DEFAULT_POOL_BYTES, OnednnBackend } from './backend.js';
export type { PoolStats } from './backend.js';
export {
  defaultAddonPath,
  getBinding,
  INSTALL_HINT,
  isOnednnAvailable,
  loadBinding,
  OnednnUnavailableError,
} from './binding.js';
export type { ConvAlgorithm, NativeInferenceGraph, OnednnBinding, OnednnInfo, PrimitiveImpl, WinogradTile } from './binding.js';
export { BACKEND_PRIORITY, NATIVE_KERNEL_NAMES, registerOnednnBackend } from './register.js';
export { selectBackend, BACKEND_CHOICES } from './select-backend.js';
export type { BackendChoice, SelectBackendOptions, SelectedBackend } from './select-backend.js';
export { getConvAlgorithm, getInfo, getPrimitiveImpls, getWinogradTile, setConvAlgorithm, setWinogradTile } from './info.js';
export { InferenceGraph } from './inference-graph.js';
export type {
  AddGraphOp,
  AffineGraphOp,
  ConcatGraphOp,
  Conv2DGraphOp,
  DenseGraphOp,
  GraphActivation,
  GraphOp,
  InferenceGraphOptions,
  PoolGraphOp,
  SimpleGraphOp,
} from './inference-graph.js';
