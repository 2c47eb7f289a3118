import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from './codec.js';
import { memberJobId } from './queue.js';
import { trainEnsemble } from './train.js';
import { MEMBERS, data } from '../testing/ensemble-def.js';
import { startTestRedis, type TestRedis } from '../testing/test-redis.js';
import { startQueueWorker, type QueueWorker } from '../queue/worker.js';
import { toyImages } from '../testing/toy-images.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const trialDir = path.join(here, '..', 'queue', '__fixtures__', 'trials');
const quiet = (): void => undefined;
let redis: TestRedis;
let workers: QueueWorker[] = [];
beforeAll(async () => {
  await tf.setBackend('cpu');
  redis = await startTestRedis();
  workers = await Promise.all(['e1', 'e2'].map((name) => startQueueWorker({ queue: redis.url, trialDir, name, log: quiet })));
});
afterAll(async () => {
  for (const w of workers) await w.shutdown({ graceS: 0 });
  await redis?.dispose();
});

const weights = (m: { getWeights(): tf.Tensor[] }): number[][] => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('trainEnsemble on a queue', () => {
  it('members trained by two queue workers give the local ensemble: same weights, same accuracy', async () => {
    const local = await trainEnsemble({ members: MEMBERS, data, epochs: 2, log: quiet, progress: 'none' });
    const lines: string[] = [];
    const queued = await trainEnsemble({ queue: redis.url, trial: 'tiny-members', members: MEMBERS, epochs: 2, pollMs: 50, log: (l) => lines.push(l) });
    expect(queued.members.map((m) => [m.name, m.seed, m.val_accuracy])).toEqual(local.members.map((m) => [m.name, m.seed, m.val_accuracy]));
    expect(queued.members.map((m) => m.history.map((h) => [h.loss, h.val_accuracy]))).toEqual(
      local.members.map((m) => m.history.map((h) => [h.loss, h.val_accuracy])),
    );
    queued.ensemble.members.forEach((m, i) => expect(weights(m)).toEqual(weights(local.ensemble.members[i])));
    const test = () => toyImages(16, 8, 99);
    const [a, b] = [await local.ensemble.evaluate(test()), await queued.ensemble.evaluate(test())];
    expect(b.accuracy).toBe(a.accuracy);
    expect(b.members).toEqual(a.members);
    expect(a.accuracy).toBeGreaterThan(0.5); // it learned the toy task
    expect(lines.filter((l) => /^Member '(conv|dense)' done on e[12]: validation accuracy [\d.]+ %$/.test(l))).toHaveLength(2);
    const n = tf.memory().numTensors;
    local.ensemble.dispose();
    queued.ensemble.dispose();
    expect(tf.memory().numTensors).toBeLessThan(n);
  });

  it('a member the script does not have fails the ensemble with the reason', async () => {
    await expect(
      trainEnsemble({ queue: redis.url, trial: 'tiny-members', members: [{ name: 'vgg', seed: 1 }], epochs: 1, pollMs: 50, log: quiet }),
    ).rejects.toThrow(/^trainEnsemble: member 'vgg' failed on e[12]: TuneError: serveEnsembleMember: no member named 'vgg'; this script has 'conv', 'dense'/);
    await expect(trainEnsemble({ queue: redis.url, trial: '../x', members: [{ name: 'vgg', seed: 1 }], epochs: 1, log: quiet })).rejects.toThrow(
      "trainEnsemble: trial must be the member script's name",
    );
  });

  it('encodes a model to JSON and back bit-exactly; member job ids are stable', async () => {
    const m = MEMBERS[0].build(3);
    const back = await decodeModel(JSON.parse(JSON.stringify(await encodeModel(m))));
    expect(weights(back)).toEqual(weights(m));
    m.dispose();
    back.dispose();
    expect(memberJobId('t', 'conv', 1, 2)).toBe(memberJobId('t', 'conv', 1, 2));
    expect(memberJobId('t', 'conv', 1, 2)).not.toBe(memberJobId('t', 'conv', 2, 2));
    expect(memberJobId('t', 'conv', 1, 2)).toMatch(/^m-[0-9a-f]{16}$/);
  });
});
