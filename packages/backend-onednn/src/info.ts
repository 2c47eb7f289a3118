/** Convenience accessors of the native binding's diagnostics. */
import {
  type AddonOrigin,
  addonOrigin,
  Bf16UnsupportedError,
  type ConvAlgorithm,
  getBinding,
  OnednnError,
  type OnednnInfo,
  type Precision,
  type PrimitiveImpl,
  type WinogradTile,
} from './binding.js';

/** Values of {@link Precision}, for command-line validation. */
export const PRECISION_CHOICES: readonly Precision[] = ['float32', 'bf16'];

/**
 * oneDNN version, OpenMP thread count and dispatched ISA.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getInfo(): OnednnInfo {
  return getBinding().getInfo();
}

/**
 * The implementation oneDNN picked for every primitive created so far: `[{kernel, key, impl}]`.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getPrimitiveImpls(): PrimitiveImpl[] {
  return getBinding().getPrimitiveImpls();
}

/**
 * The algorithm 3x3 stride-1 convolutions use now (see {@link ConvAlgorithm}; default `'auto'`, or the
 * environment variable `ONEDNN_CONV_ALGO`).
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getConvAlgorithm(): ConvAlgorithm {
  return getBinding().getConvAlgorithm();
}

/**
 * Sets the algorithm of 3x3 stride-1 convolutions process-wide (see {@link ConvAlgorithm}).
 * @throws TypeError when `mode` is not `'auto'`, `'direct'` or `'winograd'`.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function setConvAlgorithm(mode: ConvAlgorithm): void {
  if (mode !== 'auto' && mode !== 'direct' && mode !== 'winograd') {
    throw new TypeError(`setConvAlgorithm: mode must be 'auto', 'direct' or 'winograd'. Received: mode=${String(mode)}`);
  }
  getBinding().setConvAlgorithm(mode);
}

/**
 * The Winograd output tile setting of training convolutions now (see {@link WinogradTile}; default `'auto'`, or
 * the environment variable `ONEDNN_WINOGRAD_TILE`).
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getWinogradTile(): WinogradTile {
  return getBinding().getWinogradTile();
}

/**
 * Sets the Winograd output tile of training convolutions process-wide (see {@link WinogradTile}).
 * @throws TypeError when `tile` is not `'auto'` or an integer 2 … 7.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function setWinogradTile(tile: WinogradTile): void {
  if (tile !== 'auto' && !(Number.isInteger(tile) && tile >= 2 && tile <= 7)) {
    throw new TypeError(`setWinogradTile: tile must be 'auto' or an integer 2 to 7. Received: tile=${String(tile)}`);
  }
  getBinding().setWinogradTile(tile);
}

/**
 * Whether `bf16` precision can run here: oneDNN dispatches to AVX512_BF16 or AMX (`dnnl_get_effective_cpu_isa`
 * is `avx512_core_bf16`, `avx512_core_amx` or newer; capped by the environment variable `DNNL_MAX_CPU_ISA`).
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function bf16Supported(): boolean {
  return getBinding().bf16Supported();
}

/**
 * The compute precision of the `onednn` backend's convolutions and matmuls now (see {@link Precision}; default
 * `'float32'`).
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getPrecision(): Precision {
  return getBinding().getPrecision();
}

/**
 * Sets the compute precision of the `onednn` backend's convolutions and matmuls process-wide (see
 * {@link Precision}): `'bf16'` is mixed precision with float32 master weights, batch norm and loss, like PyTorch's
 * `torch.autocast('cpu', dtype=torch.bfloat16)`; results differ from float32 by bf16 rounding of the inputs
 * (relative error ~1e-3 to 1e-2 per product sum).
 * @throws OnednnError (code `ERR_CNN_ONEDNN`) when `precision` is not `'float32'` or `'bf16'`.
 * @throws Bf16UnsupportedError (code `ERR_CNN_BF16_UNSUPPORTED`) for `'bf16'` when {@link bf16Supported} is false;
 *   the message names oneDNN's ISA on this CPU.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function setPrecision(precision: Precision): void {
  if (!PRECISION_CHOICES.includes(precision)) {
    throw new OnednnError(`setPrecision: precision must be 'float32' or 'bf16'. Received: precision=${String(precision)}`, { code: 'ERR_CNN_ONEDNN' });
  }
  const binding = getBinding();
  if (precision === 'bf16' && !binding.bf16Supported()) throw new Bf16UnsupportedError(binding.getInfo().isa);
  binding.setPrecision(precision);
}

/**
 * Where the native addon and libdnnl were loaded from: `{kind: 'prebuilt' | 'source build' | 'custom',
 * addonPath, libraryPath}`.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getAddonOrigin(): AddonOrigin {
  return addonOrigin(getBinding());
}
