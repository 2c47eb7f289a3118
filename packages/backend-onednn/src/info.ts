/** Convenience accessors of the native binding's diagnostics. */
import { getBinding, type OnednnInfo, type PrimitiveImpl } from './binding.js';

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
