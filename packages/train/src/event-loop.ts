/**
 * Yielding to the event loop between batches, so a browser page stays responsive (timers fire, input is handled,
 * the page paints) while `fit`, `evaluate` or `lrFind` run.
 *
 * @packageDocumentation
 */
import { TrainError } from './errors.js';

/**
 * Resolves on a new macrotask (`setTimeout(0)`): timers that are due, I/O and input events run first. Unlike
 * `tf.nextFrame()` (`requestAnimationFrame`), it does not wait for the next frame and keeps running in a
 * background tab. Costs about 0–4 ms (browsers clamp nested timeouts to 4 ms).
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** True where `globalThis.window` exists (a browser page, not a worker or Node). */
export function inBrowserWindow(): boolean {
  return typeof (globalThis as { window?: unknown }).window !== 'undefined';
}

/**
 * The `yieldEvery` option of the loops, checked: an integer >= 0 (batches between yields to the event loop, `0`
 * never). Default: `1` where `globalThis.window` exists (a browser page), else `0` (Node, workers).
 * @throws TrainError (code `ERR_CNN_INVALID_OPTION`) for anything but an integer >= 0.
 */
export function resolveYieldEvery(fn: string, value: number | undefined): number {
  if (value === undefined) return inBrowserWindow() ? 1 : 0;
  if (!(Number.isInteger(value) && value >= 0)) {
    throw new TrainError(
      `${fn}: yieldEvery must be an integer >= 0 (batches between yields to the event loop; 0 never). Received: yieldEvery=${String(value)}`,
      {
        code: 'ERR_CNN_INVALID_OPTION',
      },
    );
  }
  return value;
}

/** Yields to the event loop after batch `batch` (1-based) when `every > 0` divides it. */
export async function maybeYield(batch: number, every: number): Promise<void> {
  if (every > 0 && batch % every === 0) await yieldToEventLoop();
}
