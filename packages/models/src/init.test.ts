import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { conv2d } from './fused.js';
import { Dirac, dirac, layerInit } from './init.js';
import { expectClose } from './testing/close.js';

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void => expectClose(actual, expected, tol);

/** Channels `[from, to)` of an NHWC tensor, flattened. */
function channels(t: tf.Tensor, from: number, to: number): Float32Array {
  return tf.tidy(() => tf.slice(t, [0, 0, 0, from], [-1, -1, -1, to - from]).dataSync() as Float32Array);
}

describe('Dirac initializer', () => {
  it('makes the first min(in, out) filters the identity and keeps PyTorch-default values on the rest', () => {
    const k = dirac({ seed: 7 }).apply([3, 3, 2, 5]);
    const base = layerInit('pytorch', 3 * 3 * 2, 7).kernelInitializer.apply([3, 3, 2, 5]);
    const kv = k.arraySync() as number[][][][];
    const bv = base.arraySync() as number[][][][];
    const bound = 1 / Math.sqrt(18);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) {
        for (let i = 0; i < 2; i++) {
          for (let o = 0; o < 5; o++) {
            if (o < 2) expect(kv[y][x][i][o], `[${y},${x},${i},${o}]`).toBe(y === 1 && x === 1 && i === o ? 1 : 0);
            else {
              expect(kv[y][x][i][o]).toBeCloseTo(bv[y][x][i][o], 7);
              expect(Math.abs(kv[y][x][i][o])).toBeLessThanOrEqual(bound);
            }
          }
        }
      }
    }
    tf.dispose([k, base]);
  });

  it('a same-padded conv with it copies the first channels (in < out and in > out)', () => {
    const x = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 1);
    for (const [inC, outC] of [
      [3, 6],
      [3, 2],
      [3, 3],
    ]) {
      const layer = conv2d({ filters: outC, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: dirac({ seed: 3 }) });
      const y = layer.apply(x) as tf.Tensor;
      const n = Math.min(inC, outC);
      close(channels(y, 0, n), channels(x, 0, n), 1e-6);
      if (outC > inC) {
        // the other filters are random: their outputs differ from every input channel
        expect(Math.abs(channels(y, inC, inC + 1)[0] - channels(x, 0, 1)[0])).toBeGreaterThan(1e-6);
      }
      y.dispose();
    }
    x.dispose();
  });

  it("puts the 1 at PyTorch's centre floor(k/2) for even sizes and handles rank 3", () => {
    const k2 = dirac({ seed: 1 }).apply([2, 2, 3, 24]);
    const v = k2.arraySync() as number[][][][];
    expect([v[1][1][0][0], v[1][1][1][1], v[1][1][2][2], v[0][0][0][0], v[1][1][0][1]]).toEqual([1, 1, 1, 0, 0]);
    const k1 = dirac().apply([3, 2, 2]);
    expect(k1.arraySync()).toEqual([
      [
        [0, 0],
        [0, 0],
      ],
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ]);
    tf.dispose([k1, k2]);
  });

  it('is deterministic with a seed and serialises in a saved model', async () => {
    const a = dirac({ seed: 5 }).apply([3, 3, 1, 4]);
    const b = dirac({ seed: 5 }).apply([3, 3, 1, 4]);
    close(a.dataSync(), b.dataSync(), 1e-12);
    const m = tfl.sequential();
    m.add(conv2d({ name: 'c', inputShape: [4, 4, 2], filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: dirac({ seed: 9 }) }));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await m.save(
      tf.io.withSaveHandler(async (art) => {
        artifacts = art;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(JSON.stringify(artifacts!.modelTopology)).toContain('"class_name":"Dirac","config":{"seed":9}');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    close(loaded.getLayer('c').getWeights()[0].dataSync(), m.getLayer('c').getWeights()[0].dataSync(), 1e-12);
    expect(new Dirac({ seed: 2 }).getConfig()).toEqual({ seed: 2 });
    tf.dispose([a, b]);
  });

  it('rejects non-kernel shapes and bad seeds', () => {
    expect(() => dirac().apply([4, 4])).toThrow(/Dirac: expects a convolution kernel \[...spatial, in, out\] of rank 3 to 5. Received: shape=\[4,4\]/);
    expect(() => dirac({ seed: 1.5 })).toThrow(/Dirac: seed must be an integer. Received: seed=1.5/);
    expect(() => dirac().apply([3, 3, 1, 1], 'int32')).toThrow(/dtype must be float32/);
  });
});
