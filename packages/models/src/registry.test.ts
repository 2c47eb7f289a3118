import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { getModel, getModelEntry, listModels } from './registry';
import { summary } from './summary';

describe('model registry', () => {
  it('lists and builds the models by name and alias', () => {
    expect(listModels()).toEqual(['mnistnet', 'improved']);
    expect(summary(getModel('mnistnet')).trainableParams).toBe(getModelEntry('mnistnet').trainableParams);
    expect(summary(getModel('improved-mnistnet', { seed: 1 })).trainableParams).toBe(391_370);
    expect(summary(getModel('Improved', { numClasses: 5 })).trainableParams).toBe(391_370 - 5 * 257);
  });

  it('names the known models for an unknown name', () => {
    expect(() => getModel('resnet18')).toThrow("getModel: unknown model 'resnet18'. Known models: mnistnet, improved, improved-mnistnet");
  });
});
