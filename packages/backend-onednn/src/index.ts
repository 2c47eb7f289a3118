// Importing the package registers the `onednn` backend and its kernels (side effect).
import './register.js';

export { BACKEND_NAME, DEFAULT_POOL_BYTES, OnednnBackend } from './backend.js';
export type { PoolStats } from './backend.js';
export {
  addonOrigin,
  Bf16UnsupportedError,
  BUILD_FROM_SOURCE_COMMAND,
  defaultAddonPath,
  describeLoadError,
  elfTruncation,
  getBinding,
  hostPlatform,
  INSTALL_HINT,
  isOnednnAvailable,
  libdnnlFromProcMaps,
  loadBinding,
  OnednnError,
  OnednnUnavailableError,
  packageRoot,
  PREBUILT_PACKAGE,
  PREBUILT_TARGET,
  prebuiltAddonPath,
  prebuiltPackageDir,
  prebuiltUnsupportedReason,
} from './binding.js';
export type {
  AddonAttempt,
  AddonKind,
  AddonOrigin,
  ConvAlgorithm,
  HostPlatform,
  LoadBindingOptions,
  NativeInferenceGraph,
  OnednnBinding,
  OnednnInfo,
  Precision,
  PrimitiveImpl,
  WinogradTile,
} from './binding.js';
export { BACKEND_PRIORITY, NATIVE_KERNEL_NAMES, registerOnednnBackend } from './register.js';
export { selectBackend, BACKEND_CHOICES } from './select-backend.js';
export type { BackendChoice, SelectBackendOptions, SelectedBackend } from './select-backend.js';
export {
  bf16Supported,
  getAddonOrigin,
  getConvAlgorithm,
  getInfo,
  getPrecision,
  getPrimitiveImpls,
  getWinogradTile,
  PRECISION_CHOICES,
  setConvAlgorithm,
  setPrecision,
  setWinogradTile,
} from './info.js';
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
export {
  describeAdapter,
  disposeWebGpu,
  initWebGpu,
  isSoftwareAdapter,
  probeWebGpu,
  WEBGPU_PACKAGES,
  WebGpuUnavailableError,
  webGpuAdapter,
} from './webgpu.js';
export type { WebGpuAdapterInfo, WebGpuErrorCode, WebGpuOptions } from './webgpu.js';
export { registerWebGpuKernels, WEBGPU_KERNEL_NAMES } from './webgpu-kernels.js';
