/**
 * The fused optimizer kernels `CnnAdamUpdate` / `CnnSgdUpdate` (the contract with @cnn/train's Adam and SGD):
 * PyTorch fixture parity (torch.optim 1.13, ≤ 1e-6, state included; the fixture is a copy of
 * packages/train/src/__fixtures__/optimizers-torch.json) and bit-exact parity with the tf-op formulation
 * @cnn/train uses when no fused kernel exists, over several steps on tensors big enough for the native Add/Mul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

import './index.js';
import { seeded } from './parity-helpers.js';

interface Config {
  optimizer: 'Adam' | 'SGD';
  options: Record<string, unknown>;
  grads: Record<string, number[]>[];
  params: Record<string, number[]>[];
  state: Record<string, Record<string, number[]>>;
}
const fx = JSON.parse(readFileSync(new URL('./__fixtures__/optimizers-torch.json', import.meta.url), 'utf8')) as {
  steps: number;
  init: { w: number[][]; b: number[] };
  configs: Record<string, Config>;
};
const SHAPES: Record<string, number[]> = { w: [2, 3], b: [4] };
const SLOTS: Record<string, [string, string][]> = {
  Adam: [
    ['m', 'exp_avg'],
    ['v', 'exp_avg_sq'],
    ['vmax', 'max_exp_avg_sq'],
  ],
  SGD: [['buf', 'momentum_buffer']],
};

/** Kernel attrs from torch-style options, with torch's defaults. */
function attrsOf(cfg: Config, step: number): tf.NamedAttrMap {
  const o = cfg.options;
  if (cfg.optimizer === 'Adam') {
    const [beta1, beta2] = (o['betas'] as [number, number] | undefined) ?? [0.9, 0.999];
    return {
      lr: o['lr'] as number,
      beta1,
      beta2,
      eps: (o['eps'] as number | undefined) ?? 1e-8,
      weightDecay: (o['weight_decay'] as number | undefined) ?? 0,
      amsgrad: o['amsgrad'] === true,
      step,
    };
  }
  return {
    lr: o['lr'] as number,
    momentum: (o['momentum'] as number | undefined) ?? 0,
    dampening: (o['dampening'] as number | undefined) ?? 0,
    nesterov: o['nesterov'] === true,
    weightDecay: (o['weight_decay'] as number | undefined) ?? 0,
  };
}

/** One fused step: returns the new param and the slots (by kernel input name) that the kernel produced. */
function fusedStep(
  cfg: Config,
  param: tf.Tensor,
  grad: tf.Tensor,
  slots: Record<string, tf.Tensor>,
  step: number,
): { param: tf.Tensor; slots: Record<string, tf.Tensor> } {
  const attrs = attrsOf(cfg, step);
  const inputs: tf.NamedTensorMap = { param, grad, ...slots };
  const outs = tf.engine().runKernel(cfg.optimizer === 'Adam' ? 'CnnAdamUpdate' : 'CnnSgdUpdate', inputs, attrs) as tf.Tensor[];
  const names = cfg.optimizer === 'Adam' ? ['m', 'v', ...(attrs['amsgrad'] ? ['vmax'] : [])] : (attrs['momentum'] as number) !== 0 ? ['buf'] : [];
  expect(outs.length).toBe(1 + names.length);
  return { param: outs[0]!, slots: Object.fromEntries(names.map((n, i) => [n, outs[i + 1]!])) };
}

/** @cnn/train's op path (packages/train/src/optimizers/adam.ts, sgd.ts), the bit-exact reference. */
function opStep(
  cfg: Config,
  param: tf.Tensor,
  grad: tf.Tensor,
  slots: Record<string, tf.Tensor>,
  step: number,
): { param: tf.Tensor; slots: Record<string, tf.Tensor> } {
  const a = attrsOf(cfg, step);
  const wd = a['weightDecay'] as number;
  const lr = a['lr'] as number;
  if (cfg.optimizer === 'Adam') {
    const b1 = a['beta1'] as number;
    const b2 = a['beta2'] as number;
    const g = wd !== 0 ? tf.add(grad, tf.mul(param, wd)) : grad;
    const m = slots['m'] ? tf.add(tf.mul(slots['m'], b1), tf.mul(g, 1 - b1)) : tf.mul(g, 1 - b1);
    const v = slots['v'] ? tf.add(tf.mul(slots['v'], b2), tf.mul(tf.square(g), 1 - b2)) : tf.mul(tf.square(g), 1 - b2);
    const out: Record<string, tf.Tensor> = { m, v };
    let vUsed = v;
    if (a['amsgrad']) {
      vUsed = slots['vmax'] ? tf.maximum(slots['vmax'], v) : v;
      out['vmax'] = vUsed;
    }
    const denom = tf.add(tf.div(tf.sqrt(vUsed), Math.sqrt(1 - b2 ** step)), a['eps'] as number);
    return { param: tf.sub(param, tf.mul(tf.div(m, denom), lr / (1 - b1 ** step))), slots: out };
  }
  const mom = a['momentum'] as number;
  let d = wd !== 0 ? tf.add(grad, tf.mul(param, wd)) : grad;
  const out: Record<string, tf.Tensor> = {};
  if (mom !== 0) {
    const buf = slots['buf'] ? tf.add(tf.mul(slots['buf'], mom), tf.mul(d, 1 - (a['dampening'] as number))) : d;
    out['buf'] = buf;
    d = a['nesterov'] ? tf.add(d, tf.mul(buf, mom)) : buf;
  }
  return { param: tf.sub(param, tf.mul(d, lr)), slots: out };
}

beforeAll(async () => {
  await tf.setBackend('onednn');
});

describe('CnnAdamUpdate / CnnSgdUpdate', () => {
  it('are registered for onednn only', () => {
    expect(tf.getKernel('CnnAdamUpdate', 'onednn')).toBeDefined();
    expect(tf.getKernel('CnnSgdUpdate', 'onednn')).toBeDefined();
    expect(tf.getKernel('CnnAdamUpdate', 'cpu')).toBeUndefined();
  });

  for (const [key, cfg] of Object.entries(fx.configs)) {
    it(`${key}: ${fx.steps} fused steps equal torch.optim within 1e-6, slots included`, () => {
      const params: Record<string, tf.Tensor> = { w: tf.tensor(fx.init.w.flat(), SHAPES['w']), b: tf.tensor(fx.init.b) };
      const slots: Record<string, Record<string, tf.Tensor>> = { w: {}, b: {} };
      for (let t = 0; t < fx.steps; t++) {
        for (const k of ['w', 'b']) {
          const grad = tf.tensor(cfg.grads[t]![k]!, SHAPES[k]);
          const r = fusedStep(cfg, params[k]!, grad, slots[k]!, t + 1);
          tf.dispose([grad, params[k]!, ...Object.values(slots[k]!)]);
          params[k] = r.param;
          slots[k] = r.slots;
          const got = r.param.dataSync();
          cfg.params[t]![k]!.forEach((e, i) => expect(Math.abs(got[i]! - e), `${k}[${i}] step ${t + 1}`).toBeLessThan(1e-6));
        }
      }
      for (const [param, expected] of Object.entries(cfg.state)) {
        const names = SLOTS[cfg.optimizer]!.filter(([input]) => slots[param]![input]).map(([, slot]) => slot);
        expect(names.sort()).toEqual(Object.keys(expected).sort());
        for (const [input, slot] of SLOTS[cfg.optimizer]!) {
          if (!expected[slot]) continue;
          const got = slots[param]![input]!.dataSync();
          expected[slot]!.forEach((e, i) => expect(Math.abs(got[i]! - e), `${param}.${slot}[${i}]`).toBeLessThan(1e-6));
        }
      }
      tf.dispose([...Object.values(params), ...Object.values(slots['w']!), ...Object.values(slots['b']!)]);
    });

    it(`${key}: bit-identical to the tf-op path over 4 steps on 6000 elements`, () => {
      const n = 6000;
      let pf = tf.tensor(seeded(n, 3), [50, 120]);
      let po = pf.clone();
      let sf: Record<string, tf.Tensor> = {};
      let so: Record<string, tf.Tensor> = {};
      for (let t = 1; t <= 4; t++) {
        const grad = tf.tensor(seeded(n, 100 + t), [50, 120]);
        const f = fusedStep(cfg, pf, grad, sf, t);
        const o = tf.tidy(() => {
          const r = opStep(cfg, po, grad, so, t);
          const keep = [r.param, ...Object.values(r.slots)].map((x) => x.clone());
          return { param: keep[0]!, slots: Object.fromEntries(Object.keys(r.slots).map((k, i) => [k, keep[i + 1]!])) };
        });
        expect(Object.keys(f.slots).sort()).toEqual(Object.keys(o.slots).sort());
        expect(Array.from(f.param.dataSync())).toEqual(Array.from(o.param.dataSync()));
        for (const k of Object.keys(o.slots)) {
          expect(Array.from(f.slots[k]!.dataSync()), `slot ${k} step ${t}`).toEqual(Array.from(o.slots[k]!.dataSync()));
        }
        tf.dispose([grad, pf, po, ...Object.values(sf), ...Object.values(so)]);
        pf = f.param;
        po = o.param;
        sf = f.slots;
        so = o.slots;
      }
      tf.dispose([pf, po, ...Object.values(sf), ...Object.values(so)]);
    });
  }

  it('rejects a gradient of another size with an Error naming the input', () => {
    const p = tf.zeros([3]);
    const g = tf.zeros([4]);
    expect(() => tf.engine().runKernel('CnnSgdUpdate', { param: p, grad: g }, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 })).toThrow(
      /'grad'.*expected 3/,
    );
    tf.dispose([p, g]);
  });
});
