/**
 * The per-kernel timing harness of the profile scripts (`profile-step.ts`, `profile-cifar-step.ts`): while
 * profiling is on, each kernel call's wall time (`timeKernels` of the workspace's @cnn/testing) is added to its
 * kernel name; then prints a table sorted by time. Dev tooling, not part of the package.
 */
// the workspace's kernel timer (dev scripts import workspace sources by relative path)
import { shapeKey, timeKernels } from '../../../testing/src/kernel-timer.js';

/** `--name value` from the command line, else `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface KernelStat {
  ms: number;
  calls: number;
}

/** Times every kernel of one backend while {@link KernelProfiler.on} is set. */
export class KernelProfiler {
  /** Accumulated `{ms, calls}` per kernel name. */
  readonly stats = new Map<string, KernelStat>();
  /** Whether calls are being timed. */
  on = false;
  /** Key each row by kernel name and input shapes (e.g. `Conv2D [128,32,32,64]x[3,3,64,64]`), not name alone. */
  byShape = false;

  /** Wraps every kernel registered for `backendName` (do it once, before the work to profile). */
  instrument(backendName: string): void {
    timeKernels(backendName, (kernel, inputs, ms) => {
      if (!this.on) return;
      const key = this.byShape ? shapeKey(kernel, inputs) : kernel;
      const s = this.stats.get(key) ?? { ms: 0, calls: 0 };
      s.ms += ms;
      s.calls += 1;
      this.stats.set(key, s);
    });
  }

  /**
   * Prints time inside vs outside kernels and the `limit` most expensive kernels, per step.
   * @param totalMs - Wall time of the profiled steps, ms. @param steps - Number of steps profiled.
   */
  print(totalMs: number, steps: number, limit = Infinity): void {
    const rows = [...this.stats.entries()].sort((p, q) => q[1].ms - p[1].ms);
    const kernelTotal = rows.reduce((acc, [, s]) => acc + s.ms, 0);
    console.log(
      `kernels: ${(kernelTotal / steps).toFixed(2)} ms/step inside kernels, ` +
        `${((totalMs - kernelTotal) / steps).toFixed(2)} ms/step outside (tfjs engine, tape, JS glue; incl. timing)`,
    );
    console.log('kernel                      ms/step   calls/step   %');
    for (const [name, s] of rows.slice(0, limit)) {
      console.log(
        `${name.padEnd(this.byShape ? 60 : 26)} ${(s.ms / steps).toFixed(3).padStart(8)} ${(s.calls / steps)
          .toFixed(1)
          .padStart(10)} ${((100 * s.ms) / totalMs).toFixed(1).padStart(6)}`,
      );
    }
  }
}
