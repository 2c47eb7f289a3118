// Two tiny seeded members and toy data, shared by the local trainEnsemble run and the member script the
// queue workers run (trials/tiny-members.ts): the same definitions must give the same ensemble.
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { dropout } from '@cnn/models';
import { Adam } from '@cnn/train';
import type { EnsembleMemberSpec } from '../ensemble/member.js';
import { toyImages } from './toy-images.js';

const conv = (seed: number): tfl.LayersModel => {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 3, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
  );
  m.add(tfl.layers.flatten());
  m.add(dropout({ rate: 0.2, seed: seed + 1 }));
  m.add(tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }) }));
  return m;
};
const dense = (seed: number): tfl.LayersModel => {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [8, 8, 3] }));
  m.add(tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  return m;
};

export const MEMBERS: EnsembleMemberSpec[] = [
  { name: 'conv', seed: 5, build: conv, optimizer: () => new Adam({ lr: 0.01 }) },
  { name: 'dense', seed: 6, build: dense, optimizer: () => new Adam({ lr: 0.02 }) },
];
export const data = (seed: number) => ({ train: toyImages(32, 8, seed), validation: toyImages(16, 8, 98), test: toyImages(16, 8, 99) });
