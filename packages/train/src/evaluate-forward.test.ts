import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TrainError } from './errors.js';
import { evaluate } from './loop.js';
import { tinyNet, toyLoader } from './testing/toy.js';

/** Mean softmax cross-entropy and accuracy of `[n, c]` logits against int labels, in float64. */
function reference(logits: number[][], labels: number[]): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  logits.forEach((l, i) => {
    const m = Math.max(...l);
    loss += m + Math.log(l.reduce((s, v) => s + Math.exp(v - m), 0)) - l[labels[i]!]!;
    if (l.indexOf(m) === labels[i]) correct += 1;
  });
  return { loss: loss / labels.length, accuracy: correct / labels.length };
}

/** The loader's batches concatenated: `x` `[n, 6, 6, 1]`, labels. */
function whole(n: number, batch: number, seed: number): { x: tf.Tensor4D; labels: number[] } {
  const xs: tf.Tensor[] = [];
  const labels: number[] = [];
  for (const b of toyLoader(n, batch, seed) as Iterable<{ x: tf.Tensor; y: tf.Tensor }>) {
    xs.push(b.x);
    labels.push(...(b.y.dataSync() as Int32Array));
    b.y.dispose();
  }
  const x = tf.concat(xs) as tf.Tensor4D;
  tf.dispose(xs);
  return { x, labels };
}

describe('evaluate: forward', () => {
  it('scores the logits of forward and of every head in the same pass, as the references, without leaking', async () => {
    const model = tinyNet(4);
    const flip = (x: tf.Tensor4D): tf.Tensor2D => model.apply(tf.reverse(x, 2), { training: false }) as tf.Tensor2D;
    const plain = (x: tf.Tensor4D): tf.Tensor2D => model.apply(x, { training: false }) as tf.Tensor2D;
    const { x, labels } = whole(10, 3, 9);
    const refPlain = reference(
      tf.tidy(() => plain(x).arraySync() as number[][]),
      labels,
    );
    const refFlip = reference(
      tf.tidy(() => flip(x).arraySync() as number[][]),
      labels,
    );
    const refMean = reference(
      tf.tidy(() => tf.div(tf.add(plain(x), flip(x)), 2).arraySync() as number[][]),
      labels,
    );
    tf.dispose(x);
    const before = tf.memory().numTensors;
    let calls = 0;
    const r = await evaluate(model, toyLoader(10, 3, 9), {
      forward: (xb) => {
        calls += 1;
        const [p, f] = [plain(xb), flip(xb)];
        return { logits: tf.div(tf.add(p, f), 2), heads: { plain: p, flip: f } };
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(calls).toBe(4); // batches 3, 3, 3, 1: one forward each
    expect(r.samples).toBe(10);
    expect(r.loss).toBeCloseTo(refMean.loss, 5);
    expect(r.accuracy).toBe(refMean.accuracy);
    expect(r.heads?.['plain']?.loss).toBeCloseTo(refPlain.loss, 5);
    expect(r.heads?.['plain']?.accuracy).toBe(refPlain.accuracy);
    expect(r.heads?.['flip']?.loss).toBeCloseTo(refFlip.loss, 5);
    expect(Object.keys(r.heads!)).toEqual(['plain', 'flip']);
    // a plain tensor: no heads, the same result as the default forward
    const single = await evaluate(model, toyLoader(10, 3, 9), { forward: flip });
    expect(single.heads).toBeUndefined();
    expect(single.loss).toBeCloseTo(refFlip.loss, 5);
    const dflt = await evaluate(model, toyLoader(10, 3, 9));
    expect(dflt.heads).toBeUndefined();
    expect(dflt.loss).toBeCloseTo(refPlain.loss, 5);
  });

  it('names the progress label, and refuses logits of the wrong shape and heads that change between batches', async () => {
    const model = tinyNet(4);
    const lines: string[] = [];
    await evaluate(model, toyLoader(6, 3, 1), { progress: 'lines', log: (l) => lines.push(l), logEvery: 1, label: 'Eval (TTA)' });
    expect(lines.map((l) => l.split('  loss')[0])).toEqual(['Eval (TTA)  batch 1/2', 'Eval (TTA)  batch 2/2']);
    const before = tf.memory().numTensors;
    const flat = evaluate(model, toyLoader(6, 3, 1), { forward: (x) => tf.reshape(x, [-1]) as unknown as tf.Tensor2D });
    await expect(flat).rejects.toThrow('evaluate: batch 1: forward must return logits [3, numClasses], got [108]');
    await expect(flat).rejects.toMatchObject({ code: 'ERR_CNN_SHAPE_MISMATCH' });
    await expect(flat).rejects.toBeInstanceOf(TrainError);
    let n = 0;
    const changing = evaluate(model, toyLoader(6, 3, 1), {
      forward: (x) => {
        const l = model.apply(x) as tf.Tensor2D;
        const heads: Record<string, tf.Tensor2D> = n++ === 0 ? { a: l } : { b: l };
        return { logits: l, heads };
      },
    });
    await expect(changing).rejects.toThrow('evaluate: batch 2: forward returned heads [b], batch 1 returned [a]');
    const badHead = evaluate(model, toyLoader(6, 3, 1), {
      forward: (x) => ({ logits: model.apply(x) as tf.Tensor2D, heads: { noTta: tf.zeros([2, 3]) as tf.Tensor2D } }),
    });
    await expect(badHead).rejects.toThrow("evaluate: batch 1: forward must return head 'noTta' [3, numClasses], got [2,3]");
    expect(tf.memory().numTensors).toBe(before);
  });
});
