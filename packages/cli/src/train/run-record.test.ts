import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelCheckpoint } from '@cnn/callbacks';
import { afterAll, describe, expect, it } from 'vitest';
import { EarlyStopping, LRSchedulerCallback } from '@cnn/callbacks';
import { UsageError } from '../errors.js';
import { resolveTrainConfig, runInfoOf } from './config.js';
import { RunRecord, runInfoDifferences } from './run-record.js';
import { assertFiniteEvaluation, assertResumable, checkpointRunInfo, createCallbacks } from './train-classifier.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-run-record-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A checkpoint.json as saveCheckpoint writes it, with the given callback states (enough for checkpointRunInfo). */
function fakeCheckpoint(dir: string, callbacks: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify({ format: 'cnn-train-checkpoint', version: 1, state: { epoch: 2, callbacks } }));
}

describe('RunRecord', () => {
  it('carries the run settings and the elapsed wall time through getState / setState', async () => {
    const a = new RunRecord({ recipe: 'fast', seed: 1 });
    a.startClock();
    await new Promise((r) => setTimeout(r, 30));
    const s = a.getState();
    expect(s.info).toEqual({ recipe: 'fast', seed: 1 });
    expect(s.elapsedSeconds).toBeGreaterThanOrEqual(0.025);
    const b = new RunRecord({ recipe: 'fast', seed: 1 });
    b.startClock();
    b.setState({ info: s.info, elapsedSeconds: 100 });
    expect(b.elapsedSeconds).toBeGreaterThanOrEqual(100);
    expect(b.elapsedSeconds).toBeLessThan(100.5);
  });

  it('refuses the state of another run with a UsageError naming both values, and a malformed state', () => {
    const r = new RunRecord({ recipe: 'fast', seed: 1 });
    expect(() => r.setState({ info: { recipe: 'standard', seed: 1 }, elapsedSeconds: 3 })).toThrow(UsageError);
    expect(() => r.setState({ info: { recipe: 'standard', seed: 1 }, elapsedSeconds: 3 })).toThrow('recipe "standard" there, "fast" here');
    expect(() => r.setState({ info: {} })).toThrow('RunRecord.setState: malformed state (needs info and elapsedSeconds)');
  });

  it('runInfoDifferences compares the keys the stored record holds', () => {
    expect(runInfoDifferences({ recipe: 'fast', batchSize: 512 }, { recipe: 'fast', batchSize: 1024, seed: 3 })).toEqual(['batchSize 512 there, 1024 here']);
    expect(runInfoDifferences({ recipe: 'standard' }, { recipe: 'fast', seed: 3 })).toEqual(['recipe "standard" there, "fast" here']);
    expect(runInfoDifferences({ recipe: 'fast', batchSize: 50 }, { recipe: 'standard' })).toEqual(['recipe "fast" there, "standard" here']);
    expect(runInfoDifferences({ recipe: 'fast', batchSize: 50, seed: 1 }, { recipe: 'fast', batchSize: 60, seed: 2 })).toEqual([
      'batchSize 50 there, 60 here',
      'seed 1 there, 2 here',
    ]);
    expect(runInfoDifferences({ widths: '8,16,16' }, {})).toEqual(['widths "8,16,16" there, not set here']);
    expect(runInfoDifferences({}, { recipe: 'fast' })).toEqual([]);
  });

  it('records --precision: a float32 checkpoint is refused by a bf16 resume and the other way round', () => {
    const f32 = resolveTrainConfig({ source: 'cifar10', recipe: 'muon' });
    const bf16 = { ...f32, precision: 'bf16' as const };
    expect(runInfoOf(f32)).toMatchObject({ recipe: 'muon', precision: 'float32' });
    expect(runInfoDifferences(runInfoOf(f32), runInfoOf(bf16))).toEqual(['precision "float32" there, "bf16" here']);
    expect(() => new RunRecord(runInfoOf(bf16)).setState({ info: runInfoOf(f32), elapsedSeconds: 1 })).toThrow('precision "float32" there, "bf16" here');
    expect(() => new RunRecord(runInfoOf(f32)).setState({ info: runInfoOf(bf16), elapsedSeconds: 1 })).toThrow('precision "bf16" there, "float32" here');
  });
});

describe('assertResumable', () => {
  it('reads the settings from checkpoint.json (legacy default for old checkpoints) and refuses another run', async () => {
    const dir = path.join(tmp, 'ck1');
    expect(await checkpointRunInfo(dir)).toBeUndefined(); // no checkpoint: nothing to check
    await assertResumable(dir, { recipe: 'fast' });
    fakeCheckpoint(dir, { RunRecord: { info: { recipe: 'standard', seed: 0 }, elapsedSeconds: 12 } });
    expect(await checkpointRunInfo(dir)).toEqual({ recipe: 'standard', seed: 0 });
    await assertResumable(dir, { recipe: 'standard', seed: 0 });
    const err = await assertResumable(dir, { recipe: 'fast', seed: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `--resume: ${dir} holds a checkpoint of another run (recipe "standard" there, "fast" here); resume with the same settings, or train into another --out`,
    );
    const old = path.join(tmp, 'ck-old');
    fakeCheckpoint(old, { LRScheduler: {} });
    expect(await checkpointRunInfo(old, { recipe: 'standard' })).toEqual({ recipe: 'standard' });
    await expect(assertResumable(old, { recipe: 'fast' }, { recipe: 'standard' })).rejects.toThrow('recipe "standard" there, "fast" here');
  });
});

describe('createCallbacks', () => {
  it('puts the extra callbacks before the checkpoints; best/ only with a validation set', () => {
    const rec = new RunRecord({});
    const noValid = resolveTrainConfig({ source: 'mnist', out: path.join(tmp, 'o') });
    expect(noValid.validPct).toBe(0);
    expect(noValid.saveBest).toBe(false);
    expect(createCallbacks(noValid, () => {}, [rec]).map((c) => c.constructor)).toEqual([RunRecord, ModelCheckpoint]);
    const selecting = resolveTrainConfig({ source: 'mnist', earlyStoppingPatience: 2, scheduler: 'plateau:patience=1', out: path.join(tmp, 'o') });
    expect(selecting.validPct).toBe(0.1);
    const cbs = createCallbacks(selecting, () => {}, [rec]);
    expect(cbs.map((c) => c.constructor)).toEqual([LRSchedulerCallback, EarlyStopping, RunRecord, ModelCheckpoint, ModelCheckpoint]);
    expect((cbs[4] as ModelCheckpoint).monitor).toBe('val_accuracy');
  });
});

describe('assertFiniteEvaluation', () => {
  it('passes finite losses and names a NaN one', () => {
    expect(() => assertFiniteEvaluation(0.5, 0.6)).not.toThrow();
    expect(() => assertFiniteEvaluation(0.5)).not.toThrow();
    expect(() => assertFiniteEvaluation(NaN)).toThrow('final evaluation: the test loss is NaN');
    expect(() => assertFiniteEvaluation(0.5, Infinity)).toThrow('the test loss without TTA is Infinity');
  });
});
