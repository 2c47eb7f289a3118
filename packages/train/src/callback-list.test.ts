import { describe, expect, it } from 'vitest';
import { Callback, LambdaCallback, type Logs } from './callback.js';
import { CallbackList } from './callback-list.js';
import { TrainError } from './errors.js';

class Recorder extends Callback {
  constructor(
    readonly name: string,
    readonly calls: string[],
    override readonly runsLast = false,
  ) {
    super();
  }
  override onTrainBegin(): void {
    this.calls.push(`${this.name}.trainBegin`);
  }
  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    await Promise.resolve();
    logs.mutated = 1; // a copy: the next callback must not see it
    this.calls.push(`${this.name}.epochEnd ${epoch} ${JSON.stringify(logs)}`);
  }
  override onBatchBegin(batch: number, logs: Logs): void {
    this.calls.push(`${this.name}.batchBegin ${batch} lr=${logs.lr}`);
  }
  override getState(): unknown {
    return { name: this.name };
  }
  override setState(state: unknown): void {
    this.calls.push(`${this.name}.setState ${JSON.stringify(state)}`);
  }
}

describe('CallbackList', () => {
  it('dispatches each hook in order, runsLast callbacks last, awaiting each; epoch logs are copies per callback', async () => {
    const calls: string[] = [];
    const list = new CallbackList([new Recorder('ckpt', calls, true), new Recorder('a', calls), new Recorder('a', calls)]);
    expect(list.callbacks.map((c) => (c as Recorder).name)).toEqual(['a', 'a', 'ckpt']);
    expect(list.keys).toEqual(['Recorder', 'Recorder#2', 'Recorder#3']);
    expect(list.length).toBe(3);
    await list.onTrainBegin({});
    await list.onEpochEnd(1, { loss: 0.5 });
    expect(calls).toEqual([
      'a.trainBegin',
      'a.trainBegin',
      'ckpt.trainBegin',
      'a.epochEnd 1 {"loss":0.5,"mutated":1}',
      'a.epochEnd 1 {"loss":0.5,"mutated":1}',
      'ckpt.epochEnd 1 {"loss":0.5,"mutated":1}',
    ]);
  });

  it('builds batch-begin logs per callback when given a function (a rate set by one is seen by the next)', async () => {
    const calls: string[] = [];
    let lr = 0.1;
    const setter = new LambdaCallback({
      onBatchBegin: () => {
        lr = 0.2;
      },
    });
    const list = new CallbackList([new Recorder('before', calls), setter, new Recorder('after', calls)]);
    expect(list.has('onBatchBegin')).toBe(true);
    expect(list.has('onGradients')).toBe(false);
    await list.onBatchBegin(3, () => ({ batch: 3, lr }));
    expect(calls).toEqual(['before.batchBegin 3 lr=0.1', 'after.batchBegin 3 lr=0.2']);
  });

  it('saves and restores the states by key, ignoring unknown keys', async () => {
    const calls: string[] = [];
    const list = new CallbackList([new Recorder('x', calls), new LambdaCallback({})]);
    expect(await list.getStates()).toEqual({ Recorder: { name: 'x' } });
    list.setStates({ Recorder: { name: 'restored' }, Other: 1 });
    expect(calls).toEqual(['x.setState {"name":"restored"}']);
  });

  it('refuses anything but an array of objects (TrainError with a code)', () => {
    let err: unknown;
    try {
      new CallbackList([null as never]);
    } catch (e) {
      err = e;
    }
    expect(TrainError.isInstance(err)).toBe(true);
    expect((err as TrainError).code).toBe('ERR_CNN_INVALID_OPTION');
    expect(() => new CallbackList('x' as never)).toThrow('fit: callbacks must be an array of Callback objects');
  });
});
