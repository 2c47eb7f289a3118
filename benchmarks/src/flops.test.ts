import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@cnn/backend-onednn';
import { airbench94 } from '@cnn/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { gflopsPerSecond, parseFastReference, trainingFlops } from './flops.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('trainingFlops', () => {
  it('counts airbench94 layer by layer: 118,147,360 MACs, the whitening conv forward only', () => {
    const model = airbench94({ seed: 0 });
    const f = trainingFlops(model);
    expect(f.layers.map((l) => [l.name, l.macs, l.inputGrad, l.weightGrad])).toEqual([
      ['whiten', 31 * 31 * 2 * 2 * 3 * 24, false, false], // data input, frozen kernel
      ['block1.conv1', 31 * 31 * 9 * 24 * 64, true, true], // input grad: the whitening bias trains
      ['block1.conv2', 15 * 15 * 9 * 64 * 64, true, true],
      ['block2.conv1', 15 * 15 * 9 * 64 * 256, true, true],
      ['block2.conv2', 7 * 7 * 9 * 256 * 256, true, true],
      ['block3.conv1', 7 * 7 * 9 * 256 * 256, true, true],
      ['block3.conv2', 3 * 3 * 9 * 256 * 256, true, true],
      ['head', 256 * 10, true, true],
    ]);
    expect(f.forward).toBe(2 * 118_147_360);
    expect(f.train).toBe(3 * 2 * 118_147_360 - 2 * 2 * 276_768);
    expect(f.train).toBe(707_777_088);
    model.dispose();
  });

  it('leaves out the input gradient of a layer fed by the data and the kernel gradient of a frozen layer', () => {
    const input = tfl.input({ shape: [8, 8, 2] });
    const c1 = tfl.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'valid' });
    let x = c1.apply(input) as tfl.SymbolicTensor; // [6, 6, 4]: 36·9·2·4 = 2,592 MACs
    x = tfl.layers.flatten({ name: 'flat' }).apply(x) as tfl.SymbolicTensor;
    const d = tfl.layers.dense({ name: 'd', units: 5 });
    x = d.apply(x) as tfl.SymbolicTensor; // 144·5 = 720 MACs
    const model = tfl.model({ inputs: input, outputs: x });
    expect(trainingFlops(model)).toEqual({
      layers: [
        { name: 'c1', macs: 2592, inputGrad: false, weightGrad: true },
        { name: 'd', macs: 720, inputGrad: true, weightGrad: true },
      ],
      forward: 2 * (2592 + 720),
      train: 2 * 2592 * 2 + 2 * 720 * 3,
    });
    c1.trainable = false; // frozen first layer: forward only, and nothing upstream of the dense layer trains
    expect(trainingFlops(model).train).toBe(2 * 2592 + 2 * 720 * 2);
    model.dispose();
  });
});

describe('bench arithmetic', () => {
  it('effective GFLOP/s and the reference line', () => {
    expect(gflopsPerSecond(707_777_088, 104)).toBe(73.6);
    expect(gflopsPerSecond(1e9, 1)).toBe(1);
    expect(parseFastReference({ ref: 'torch-fast-step', trainImgPerSec: 104.2, evalImgPerSec: 900, flopsPerImage: { forward: 1, train: 707777088 } })).toEqual({
      train: 104.2,
      eval: 900,
      trainFlopsPerImage: 707777088,
    });
    expect(parseFastReference({ ref: 'torch-fast-step', trainImgPerSec: 1, evalImgPerSec: 2 })).toEqual({ train: 1, eval: 2 });
    expect(() => parseFastReference({ ref: 'x' })).toThrow('expected ref "torch-fast-step", got "x"');
    expect(() => parseFastReference({ ref: 'torch-fast-step', trainImgPerSec: 0, evalImgPerSec: 2 })).toThrow(
      'trainImgPerSec must be a positive number, got 0',
    );
  });
});
