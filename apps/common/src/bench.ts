import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { trainStep, type Optimizer, type StepOptions } from '@cnn/train';

/** One JSON object per line on stdout — the benchmarks' output format. */
export function emit(o: Record<string, unknown>): void {
  console.log(JSON.stringify(o));
}

/** `ours / theirs` rounded to 2 decimals. */
export function ratio(ours: number, theirs: number): number {
  return Math.round((ours / theirs) * 100) / 100;
}

/** Training throughput of one model on one batch. */
export interface TrainBench {
  batch: number;
  steps: number;
  /** Mean wall time of a full step (forward, backward, optimizer update, loss read back), ms. */
  msPerStep: number;
  /** `batch / step time`, images per second. */
  imgPerSec: number;
}

/**
 * Times `steps` training steps (`trainStep` of `@cnn/train`: forward in training mode, softmax
 * cross-entropy, gradients, optimizer update, loss read back) on the same batch after `warmup` steps, on
 * the current backend. The caller keeps ownership of `model`, `x`, `y`, `optimizer`.
 * @param x `[batch, height, width, channels]` float32. @param y `[batch]` int32.
 * @param stepOptions the step's loss options (label smoothing, `reduction`…). Default none.
 */
export async function benchTrain(
  model: tfl.LayersModel,
  optimizer: Optimizer,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  steps: number,
  warmup: number,
  stepOptions: StepOptions = {},
): Promise<TrainBench> {
  for (let i = 0; i < warmup; i++) await trainStep(model, x, y, optimizer, stepOptions);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await trainStep(model, x, y, optimizer, stepOptions);
  const ms = (performance.now() - t0) / steps;
  return { batch: x.shape[0], steps, msPerStep: round1(ms), imgPerSec: round1((x.shape[0] * 1000) / ms) };
}

/**
 * Inference throughput: `runs` forward passes of `model.predict(x, {batchSize: batch})` (eval mode, one
 * batch, results read back) after one warm-up pass, on the current backend. Returns images per second.
 */
export function benchInfer(model: tfl.LayersModel, x: tf.Tensor4D, runs: number): number {
  const batch = x.shape[0];
  // The callback returns nothing: handed a typed array, tf.tidy walks every element (~0.8 µs each).
  const once = () =>
    tf.tidy(() => {
      (model.predict(x, { batchSize: batch }) as tf.Tensor).dataSync();
    });
  once();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) once();
  return round1((batch * runs) / ((performance.now() - t0) / 1000));
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** `../shared/anchors/pytorch_reference.py` beside the checkout, if present. */
export function pytorchReferenceScript(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const script = path.resolve(here, '../../../../shared/anchors/pytorch_reference.py');
  return existsSync(script) ? script : undefined;
}

/**
 * Runs `pytorch_reference.py COMMAND ARGS` with `/usr/bin/python3` in this invocation and returns its
 * summary line (the last JSON line), or `undefined` — after emitting `{bench: 'pytorch', skipped}` —
 * when the script, python or torch is missing.
 */
export function runPytorchReference(command: string, args: string[]): Record<string, unknown> | undefined {
  const script = pytorchReferenceScript();
  if (!script) {
    emit({ bench: 'pytorch', skipped: 'no ../shared/anchors/pytorch_reference.py' });
    return undefined;
  }
  return runPythonReference(script, [command, ...args]);
}

/**
 * Runs a PyTorch reference script (`/usr/bin/python3 SCRIPT ARGS`, Debian's python3-torch) in this invocation and
 * returns its summary line (the last line of stdout, parsed as JSON), or `undefined` — after emitting
 * `{bench: 'pytorch', skipped}` with the reason — when python, torch or the script is missing or fails.
 */
export function runPythonReference(script: string, args: string[]): Record<string, unknown> | undefined {
  const python = '/usr/bin/python3';
  const name = path.basename(script);
  if (!existsSync(script) || !existsSync(python)) {
    emit({ bench: 'pytorch', skipped: `no ${existsSync(script) ? python : script}` });
    return undefined;
  }
  const r = spawnSync(python, [script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    emit({ bench: 'pytorch', skipped: `${name} failed (apt-get install -y python3-torch libopenblas0-pthread): ${(r.stderr || '').trim().split('\n').pop()}` });
    return undefined;
  }
  try {
    return lastJsonLine(r.stdout);
  } catch (err) {
    emit({ bench: 'pytorch', skipped: `${name}: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * The last non-empty line of a program's output, parsed as a JSON object (the benchmarks' summary line).
 * @throws Error when there is no line or it is not a JSON object.
 */
export function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error('no output');
  let v: unknown;
  try {
    v = JSON.parse(last);
  } catch {
    throw new Error(`the last output line is not JSON: ${last.slice(0, 200)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`the last output line is not a JSON object: ${last.slice(0, 200)}`);
  return v as Record<string, unknown>;
}

/** Median, minimum and maximum of a list of numbers (2 decimals). */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/**
 * Median / min / max of `values` (the median of an even count is the mean of the middle two).
 * @throws Error when `values` is empty or holds a non-finite number.
 */
export function spread(values: number[]): Spread {
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) {
    throw new Error(`spread: expected a non-empty list of finite numbers. Received: [${values.join(', ')}]`);
  }
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return { median: r2(median), min: r2(s[0]!), max: r2(s[s.length - 1]!) };
}

/**
 * Runs `rounds` alternating measurements — ours, then the reference — and returns each round's ratio
 * `ours() / reference()` (throughputs, higher is better) with their {@link Spread}. Interleaving cancels slow
 * drifts in machine speed (a shared host speeds up and slows down over seconds to minutes), which a single
 * ours-then-theirs pair reports as a ratio swing. Returns `undefined` when the reference is unavailable.
 */
export async function interleavedRatio(
  rounds: number,
  ours: (round: number) => number | Promise<number>,
  reference: (round: number) => number | undefined,
): Promise<{ ratios: number[]; spread: Spread } | undefined> {
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await ours(r);
    const b = reference(r);
    if (b === undefined) return undefined;
    ratios.push(a / b);
  }
  return { ratios: ratios.map((v) => Math.round(v * 100) / 100), spread: spread(ratios) };
}
