import { MNIST_MEAN, MNIST_STD } from './datasets.js';
import { describe, expect, it } from 'vitest';
import { loadMnist } from './node/mnist.js';
import { channelMeanStd } from './stats.js';

describe('channelMeanStd', () => {
  it('MNIST train gives 0.1307 / 0.3081', async () => {
    const { train } = await loadMnist({ split: 'train' });
    const { mean, std } = channelMeanStd(train);
    expect(mean).toHaveLength(1);
    expect(mean[0].toFixed(4)).toBe(MNIST_MEAN.toFixed(4));
    expect(std[0].toFixed(4)).toBe(MNIST_STD.toFixed(4));
    // numpy on the same file: 0.1306604762738429, 0.3081078038564622
    expect(mean[0]).toBeCloseTo(0.1306604762738429, 12);
    expect(std[0]).toBeCloseTo(0.3081078038564622, 12);
  });

  it('computes per-channel population statistics', () => {
    // 2 pixels × 3 channels: channel 0 = {0, 255}, channel 1 = {51, 51}, channel 2 = {255, 255}
    const ds = {
      images: Uint8Array.of(0, 51, 255, 255, 51, 255),
      labels: Uint8Array.of(0),
      length: 1,
      height: 1,
      width: 2,
      channels: 3,
      classNames: ['x'],
      name: 'rgb',
    };
    const { mean, std } = channelMeanStd(ds);
    expect(mean).toEqual([0.5, 0.2, 1]);
    expect(std).toEqual([0.5, 0, 0]);
  });

  it('rejects an empty dataset', () => {
    const ds = { images: new Uint8Array(0), labels: new Uint8Array(0), length: 0, height: 1, width: 1, channels: 1, classNames: [], name: 'empty' };
    expect(() => channelMeanStd(ds)).toThrow('channelMeanStd: dataset empty has no pixels');
  });
});
