import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { Adam, SGD, fit, getModelWeights, type NamedWeight } from '@cnn/train';
import { Callback } from './base.js';
import { EarlyStopping } from './early-stopping.js';
import { toyLoaders, toyNet } from './testing/toy.js';

/** Records a copy of the weights at every epoch end. */
class WeightRecorder extends Callback {
  byEpoch = new Map<number, NamedWeight[]>();
  override onEpochEnd(epoch: number): void {
    this.byEpoch.set(epoch, getModelWeights(this.context.model));
  }
}

const values = (w: NamedWeight[]): number[][] => w.map((x) => Array.from(x.values));

describe('EarlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best weights (1-based best epoch logged)', async () => {
    const model = toyNet(2);
    const { train, validation } = toyLoaders();
    const lines: string[] = [];
    // mode max on the training loss: loss falls, so only epoch 1 is an "improvement"
    const es = new EarlyStopping({ monitor: 'loss', mode: 'max', patience: 2, restoreBestWeights: true, log: (l) => lines.push(l) });
    const rec = new WeightRecorder();
    const h = await fit(model, { train, validation, epochs: 10, optimizer: new Adam({ lr: 0.05 }), callbacks: [rec, es], log: () => {}, progress: 'none' });
    expect(h).toHaveLength(3);
    expect(es.stoppedEpoch).toBe(3);
    expect(es.bestEpoch).toBe(1);
    expect(lines).toContain('Restoring model weights from the end of the best epoch: 1');
    expect(lines[0]).toMatch(/^Epoch 3: early stopping/);
    expect(values(getModelWeights(model))).toEqual(values(rec.byEpoch.get(1)!));
    expect(values(getModelWeights(model))).not.toEqual(values(rec.byEpoch.get(3)!));
  });

  it('restores the best weights also when training ends by the epoch limit', async () => {
    const model = toyNet(4);
    const { train, validation } = toyLoaders();
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 100, restoreBestWeights: true, log: () => {} });
    const rec = new WeightRecorder();
    // a large SGD step makes val_loss bounce, so the best epoch is usually not the last
    const h = await fit(model, { train, validation, epochs: 6, optimizer: new SGD({ lr: 3 }), callbacks: [rec, es], log: () => {}, progress: 'none' });
    expect(h).toHaveLength(6);
    expect(es.stoppedEpoch).toBe(0);
    let best = 0;
    h.forEach((e, i) => {
      if (e.val_loss! < h[best].val_loss!) best = i;
    });
    expect(es.bestEpoch).toBe(best + 1);
    expect(values(getModelWeights(model))).toEqual(values(rec.byEpoch.get(best + 1)!));
  });

  it('follows Keras semantics for minDelta, baseline and reuse; errors list the available keys', () => {
    const es = new EarlyStopping({ monitor: 'val_accuracy', patience: 1, minDelta: 0.01, baseline: 0.9 });
    expect(es.mode).toBe('max');
    const ctx = { model: toyNet(), stopTraining: false } as never;
    es.setContext(ctx);
    es.onTrainBegin();
    es.onEpochEnd(1, { val_accuracy: 0.5 }); // improvement over -inf, but not over the baseline: wait stays 1
    expect(es.wait).toBe(1);
    expect(es.bestEpoch).toBe(1);
    es.onEpochEnd(2, { val_accuracy: 0.505 }); // within minDelta → no improvement, wait 2 >= patience 1
    expect((ctx as { stopTraining: boolean }).stopTraining).toBe(true);
    expect(es.stoppedEpoch).toBe(2);
    es.onTrainBegin(); // reusable
    expect([es.wait, es.bestEpoch, es.stoppedEpoch, es.best]).toEqual([0, 0, 0, -Infinity]);
    expect(() => es.onEpochEnd(1, { loss: 1, val_loss: 2 })).toThrow(
      /^EarlyStopping: monitor 'val_accuracy' is not in the epoch logs — fit computes val_\* only from a validation set: pass fit\(\{ validation \}\).*\. Available keys: loss, val_loss$/,
    );
    expect(() => new EarlyStopping({ patience: -1 })).toThrow(/patience must be an integer >= 0\. Received: patience=-1/);
    expect(() => new EarlyStopping({ mode: 'up' as never })).toThrow(/mode must be 'min', 'max' or 'auto'/);
  });
});
