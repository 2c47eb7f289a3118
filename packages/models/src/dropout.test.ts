import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { Dropout, dropout, getModelRngState, setModelRngState } from './dropout.js';
import { mnistNet } from './mnist-net.js';

function wrap(layer: Dropout, features = 1000): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.inputLayer({ inputShape: [features] }));
  m.add(layer);
  return m;
}

function run(m: tfl.LayersModel, x: tf.Tensor, training: boolean): Float32Array {
  return tf.tidy(() => (m.apply(x, { training }) as tf.Tensor).dataSync() as Float32Array).slice();
}

describe('Dropout (seeded, resumable)', () => {
  it('is the identity in inference mode and scales kept elements by 1/(1-rate) in training', () => {
    const m = wrap(dropout({ rate: 0.25, seed: 7 }));
    const x = tf.ones([4, 1000]);
    expect(Array.from(run(m, x, false))).toEqual(Array.from(x.dataSync()));
    const y = run(m, x, true);
    const kept = Array.from(y).filter((v) => v !== 0);
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.75, 6);
    expect(kept.length / y.length).toBeGreaterThan(0.72); // 4000 draws, keep prob 0.75 (σ ≈ 0.007)
    expect(kept.length / y.length).toBeLessThan(0.78);
    x.dispose();
  });

  it('draws a new mask on every call and repeats the stream after setRngState', () => {
    const layer = dropout({ rate: 0.5, seed: 3 });
    const m = wrap(layer, 64);
    const x = tf.ones([2, 64]);
    const a = run(m, x, true);
    const state = layer.getRngState();
    expect(state).toEqual({ seed: 3, calls: 1 });
    const b = run(m, x, true);
    expect(Array.from(b)).not.toEqual(Array.from(a));
    layer.setRngState(state);
    expect(Array.from(run(m, x, true))).toEqual(Array.from(b));
    // another layer with the same seed reproduces the stream from the start
    const m2 = wrap(dropout({ rate: 0.5, seed: 3 }), 64);
    expect(Array.from(run(m2, x, true))).toEqual(Array.from(a));
    x.dispose();
  });

  it('rejects a bad rate and a state for another seed', () => {
    expect(() => dropout({ rate: 1 })).toThrow(/rate must be in \[0, 1\)\. Received: rate=1/);
    expect(() => dropout({ rate: 0.5, seed: 1 }).setRngState({ seed: 2, calls: 0 })).toThrow(/seed 2.*seed 1/);
  });

  it('round-trips through the layer config (class SeededDropout) and is used by mnistNet', async () => {
    const layer = dropout({ rate: 0.3, seed: 11, name: 'd' });
    const cfg = layer.getConfig();
    expect(cfg.rate).toBe(0.3);
    expect(cfg.seed).toBe(11);
    const m = wrap(layer, 8);
    const json = JSON.parse(JSON.stringify(m.toJSON(null, false)));
    const restored = await tfl.models.modelFromJSON(json);
    expect(restored.getLayer('d')).toBeInstanceOf(Dropout);
    const net = mnistNet({ seed: 1 });
    expect(net.getLayer('dropout')).toBeInstanceOf(Dropout);
    const st = getModelRngState(net);
    expect(Object.keys(st)).toEqual(['dropout']);
    setModelRngState(net, { dropout: { ...(st.dropout as object), calls: 5 } });
    expect((net.getLayer('dropout') as Dropout).getRngState().calls).toBe(5);
    expect(() => setModelRngState(net, {})).toThrow(/no state for layer 'dropout'/);
  });
});
