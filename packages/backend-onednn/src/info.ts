/** Convenience accessors of the native binding's diagnostics. */
import { type AddonOrigin, addonOrigin, type ConvAlgorithm, getBinding, type OnednnInfo, type PrimitiveImpl, type WinogradTile } from './binding.js';

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
 * The Winograd output tile of training convolutions now (see {@link WinogradTile}; default `4`, or the
 * environment variable `ONEDNN_WINOGRAD_TILE`).
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getWinogradTile(): WinogradTile {
  return getBinding().getWinogradTile();
}

/**
 * Sets the Winograd output tile of training convolutions process-wide (see {@link WinogradTile}).
 * @throws TypeError when `tile` is not `2` or `4`.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function setWinogradTile(tile: WinogradTile): void {
  if (tile !== 2 && tile !== 4) throw new TypeError(`setWinogradTile: tile must be 2 or 4. Received: tile=${String(tile)}`);
  getBinding().setWinogradTile(tile);
}

/**
 * Where the native addon and libdnnl were loaded from: `{kind: 'prebuilt' | 'source build' | 'custom',
 * addonPath, libraryPath}`.
 * @throws OnednnUnavailableError when the addon cannot load.
 */
export function getAddonOrigin(): AddonOrigin {
  return addonOrigin(getBinding());
}
