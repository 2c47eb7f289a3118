/**
 * Regression test for heap corruption under signals: oneDNN before 3.11.2 points rsp into the heap inside its
 * JIT f32 GEMM kernels (uxlfoundation/oneDNN#4845), so a signal handled meanwhile corrupts the heap. A child
 * `node --cpu-prof` (a SIGPROF every millisecond) runs every GEMM-backed native path for a few seconds: the
 * matmul primitive, Winograd (dnnl_sgemm), the GEMM backward-data path of a 1-channel conv, direct convs.
 * Before the addon blocked signals around its oneDNN calls, this child aborted ("corrupted size vs. prev_size")
 * within a second.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const addon = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'onednn_binding.node');

const child = `
import { createRequire } from 'node:module';
const b = createRequire(import.meta.url)(${JSON.stringify(addon)});
const f = (n) => new Float32Array(n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5);
const a = f(64 * 1024), w = f(1024 * 128), c = new Float32Array(64 * 128);
const x = f(8 * 16 * 16 * 32), k = f(9 * 32 * 32), y = new Float32Array(8 * 16 * 16 * 32);
const x1 = f(8 * 28 * 28), k1 = f(25 * 32), y1 = new Float32Array(8 * 24 * 24 * 32), dx1 = new Float32Array(8 * 28 * 28);
const conv = Int32Array.from([8, 16, 16, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]);
const conv1 = Int32Array.from([8, 28, 28, 1, 24, 24, 32, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0]);
const t0 = Date.now();
let n = 0;
while (Date.now() - t0 < 3000) {
  b.matMul(a, w, null, c, Int32Array.from([1, 1, 64, 1024, 128, 0, 0]), false);
  b.matMul(a, w, null, f(128 * 128), Int32Array.from([1, 1, 128, 64, 128, 1, 0]), false);
  b.setConvAlgorithm(n % 2 ? 'winograd' : 'direct');
  b.conv2dForward(x, k, null, y, conv, false);
  b.conv2dBackwardData(y, k, x.slice(), conv);
  b.conv2dBackwardFilter(x, y, k.slice(), conv);
  b.conv2dForward(x1, k1, null, y1, conv1, true);
  b.conv2dBackwardData(y1, k1, dx1, conv1);
  n++;
}
console.log('ok ' + n);
`;

describe('native calls under a sampling profiler (SIGPROF every ms)', () => {
  it('survive: no heap corruption from oneDNN GEMM kernels interrupted by a signal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onednn-signals-'));
    try {
      const script = join(dir, 'child.mjs');
      writeFileSync(script, child);
      const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, script], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).not.toMatch(/corrupt|free\(\)|malloc\(\)/);
      expect(r.signal).toBeNull();
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^ok \d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
