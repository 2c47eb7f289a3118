import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { getModel, getModelEntry, listModels } from './registry.js';
import { summary } from './summary.js';

describe('model registry', () => {
  it('lists and builds the models by name and alias', () => {
    expect(listModels()).toEqual([
      'mnistnet',
      'improved',
      'cifar10net',
      'resnet18',
      'resnet18-cifar',
      'resnet34',
      'resnet50',
      'densenet121',
      'densenet-bc',
      'mobilenet_v2',
      'airbench94',
    ]);
    expect(getModelEntry('CIFAR10-Net').inputShape).toEqual([32, 32, 3]);
    expect(summary(getModel('mnistnet')).trainableParams).toBe(getModelEntry('mnistnet').trainableParams);
    expect(summary(getModel('improved-mnistnet', { seed: 1 })).trainableParams).toBe(391_370);
    expect(summary(getModel('Improved', { numClasses: 5 })).trainableParams).toBe(391_370 - 5 * 257);
  });

  it('names the known models for an unknown name', () => {
    expect(() => getModel('vgg99')).toThrow(
      /^getModel: unknown model 'vgg99'. Known models: mnistnet, improved, improved-mnistnet, cifar10net, cifar10-net, resnet18, /,
    );
  });

  it('registers the CIFAR-size zoo models with their 10-class counts', () => {
    for (const name of ['resnet18-cifar', 'densenet-bc']) {
      const m = getModel(name, { seed: 1 });
      expect(summary(m).trainableParams).toBe(getModelEntry(name).trainableParams);
      expect(m.inputs[0].shape).toEqual([null, ...getModelEntry(name).inputShape]);
      m.dispose();
    }
  });
});
