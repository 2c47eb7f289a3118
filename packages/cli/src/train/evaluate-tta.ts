import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { applyTtaView, resolveTta, type TtaView } from '@cnn/models';
import { evaluate, type BatchSource, type ProgressMode } from '@cnn/train';
import { compileNative, type NativeModel } from '@cnn/deploy';

/** Test-time augmentation of a final evaluation: views and weights (e.g. `airbenchTta(2)` of `@cnn/models`). */
export interface TtaSpec {
  /** The views (`'identity'`, `'flip'`, `{translate: [dy, dx], flip?}`). */
  views: TtaView[];
  /** One weight per view (normalised to sum 1). */
  weights: number[];
  /** airbench's level (0–2) the views come from, recorded in the summary. */
  level?: number;
}

/** Options of {@link evaluateWithTta}. */
export interface EvaluateTtaOptions {
  /** Progress display (`@cnn/train`'s `createProgress`). Default `'none'`. */
  progress?: ProgressMode;
  /** Line sink of the progress and of the fallback note of `native`. Default `console.log`. */
  log?: (line: string) => void;
  /** Batches between progress lines in `'lines'` mode. Default `100`. */
  logEvery?: number;
  /**
   * Run every view through the model compiled into one native graph (`compileNative` of `@cnn/deploy`, oneDNN's
   * `InferenceGraph`) instead of layer by layer through tfjs-layers. Its 3x3 convolutions with 16+ channels run
   * Winograd on the tile the training kernels take for each layer's output size (`winogradTile: 'training'`:
   * airbench94's 15x15 layers F(5x5), 7x7 F(7x7), 3x3 F(3x3), 31x31 F(4x4); ~1e-5–1e-4 relative difference to
   * the layers' logits, deterministic, and no per-batch-size tuning, which would cost a one-off evaluation
   * seconds). Needs the
   * `'onednn'` backend and a model of natively supported layers; otherwise the evaluation runs layer by layer and
   * one line on `log` says why. The graph is disposed afterwards. Default `false`.
   */
  native?: boolean;
}

/** Result of {@link evaluateWithTta}. */
export interface TtaEvaluation {
  /** Mean cross-entropy of the TTA logits. */
  loss: number;
  /** Accuracy of the TTA logits (0–1). */
  accuracy: number;
  /** The same model without TTA (the identity view alone). */
  noTta: { loss: number; accuracy: number };
  /** Test images. */
  samples: number;
  /** Wall-clock seconds of the whole evaluation (with the native compilation, when `native`). */
  seconds: number;
  /** Test images per second (each passed through every view). */
  imgPerSec: number;
  /** How the views ran: `'native'` (the compiled graph) or `'layers'` (tfjs-layers, layer by layer). */
  forward: 'native' | 'layers';
}

/** The model compiled natively, or `undefined` after one `log` line saying why the evaluation runs layer by layer. */
async function compileForTta(model: tfl.LayersModel, log: (line: string) => void): Promise<NativeModel | undefined> {
  const backend = tf.getBackend();
  if (backend !== 'onednn') {
    log(`TTA evaluation: layer by layer (the native graph needs the 'onednn' backend, this one is '${backend}')`);
    return undefined;
  }
  try {
    return await compileNative(model, { winogradTile: 'training' });
  } catch (err) {
    log(`TTA evaluation: layer by layer (${(err as Error).message})`);
    return undefined;
  }
}

/**
 * Evaluates a classifier on a test loader with and without test-time augmentation in one pass — `evaluate` of
 * `@cnn/train` with a forward that, for each batch `[b, h, w, c]` (normalised like the model's inputs), combines
 * the logits of every view (`applyTtaView` of `@cnn/models`, inference mode) as `Σ_v w_v · logits_v` (as
 * `predictTta`; airbench's `infer` with its `tta_level`) and scores the identity view's logits — computed once
 * more only when the views lack it — as the head `noTta`. Loss is the mean softmax cross-entropy over the
 * samples. With `native`, the views run through the model compiled into one native graph.
 *
 * @param model - `[batch, h, w, c]` → `[batch, numClasses]` logits.
 * @param loader - test batches `{x, y}` (disposed here).
 * @param tta - views and weights.
 * @param opts - progress (a bar on a TTY or plain lines, as training's), `native`.
 * @throws Error on invalid views/weights (`resolveTta` of `@cnn/models`); TrainError of `@cnn/train` when the
 *   loader yields no batches (code `ERR_CNN_NO_BATCHES`) or a malformed batch (code `ERR_CNN_INVALID_BATCH`).
 */
export async function evaluateWithTta(model: tfl.LayersModel, loader: BatchSource, tta: TtaSpec, opts: EvaluateTtaOptions = {}): Promise<TtaEvaluation> {
  const resolved = resolveTta('evaluateWithTta', { views: tta.views, weights: tta.weights });
  const log = opts.log ?? console.log;
  const identity = resolved.views.findIndex((v) => !v.flip && v.translate[0] === 0 && v.translate[1] === 0);
  const t0 = performance.now();
  const graph = opts.native ? await compileForTta(model, log) : undefined;
  try {
    const logitsOf = graph
      ? (x: tf.Tensor4D): tf.Tensor2D => graph.predict(x) as tf.Tensor2D
      : (x: tf.Tensor4D): tf.Tensor2D => model.apply(x, { training: false }) as tf.Tensor2D;
    const r = await evaluate(model, loader, {
      progress: opts.progress ?? 'none',
      log,
      logEvery: opts.logEvery ?? 100,
      label: 'Eval (TTA)',
      forward: (x) => {
        const logits = resolved.views.map((v) => logitsOf(applyTtaView(x, v)));
        const plain = identity >= 0 ? logits[identity]! : logitsOf(x);
        return { logits: tf.addN(logits.map((l, i) => tf.mul(l, resolved.weights[i]!))) as tf.Tensor2D, heads: { noTta: plain } };
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    return {
      loss: r.loss,
      accuracy: r.accuracy,
      noTta: r.heads!['noTta']!,
      samples: r.samples,
      seconds,
      imgPerSec: r.samples / seconds,
      forward: graph ? 'native' : 'layers',
    };
  } finally {
    graph?.dispose();
  }
}
