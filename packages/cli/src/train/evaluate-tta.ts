import { CnnError } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { applyTtaView, resolveTta, type TtaView } from '@cnn/models';
import { countCorrect, createProgress, softmaxCrossEntropy, type BatchSource, type ProgressMode } from '@cnn/train';

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
  /** Line sink of the progress. Default `console.log`. */
  log?: (line: string) => void;
  /** Batches between progress lines in `'lines'` mode. Default `100`. */
  logEvery?: number;
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
  /** Wall-clock seconds of the whole evaluation. */
  seconds: number;
  /** Test images per second (each passed through every view). */
  imgPerSec: number;
}

/**
 * Evaluates a classifier on a test loader with and without test-time augmentation in one pass: for each batch
 * `[b, h, w, c]` (normalised like the model's inputs) the logits of every view (`applyTtaView` of
 * `@cnn/models`, inference mode) are combined as `Σ_v w_v · logits_v` (as `predictTta`; airbench's `infer` with
 * its `tta_level`), and the identity view's logits — computed once more only when the views lack it — give the
 * plain result. Loss is the mean softmax cross-entropy over the samples, as `evaluate` of `@cnn/train`.
 *
 * @param model - `[batch, h, w, c]` → `[batch, numClasses]` logits.
 * @param loader - test batches `{x, y}` (disposed here).
 * @param tta - views and weights.
 * @param opts - progress (a bar on a TTY or plain lines, as training's).
 * @throws Error on invalid views/weights (`resolveTta` of `@cnn/models`); CnnError (code `ERR_CNN_EMPTY_LOADER`) when the loader yields no batches.
 */
export async function evaluateWithTta(model: tfl.LayersModel, loader: BatchSource, tta: TtaSpec, opts: EvaluateTtaOptions = {}): Promise<TtaEvaluation> {
  const resolved = resolveTta('evaluateWithTta', { views: tta.views, weights: tta.weights });
  const reporter = createProgress(opts.progress ?? 'none', {
    total: loader.length,
    log: opts.log ?? console.log,
    logEvery: opts.logEvery ?? 100,
    label: 'Eval (TTA)',
  });
  let batch = 0;
  const identity = resolved.views.findIndex((v) => !v.flip && v.translate[0] === 0 && v.translate[1] === 0);
  let samples = 0;
  const sums = { loss: 0, correct: 0, plainLoss: 0, plainCorrect: 0 };
  const t0 = performance.now();
  try {
    for await (const b of loader) {
      try {
        const x = b.x as tf.Tensor4D;
        const size = x.shape[0];
        const forward = (view: (typeof resolved.views)[number] | undefined): tf.Tensor2D =>
          tf.tidy(() => model.apply(view ? applyTtaView(x, view) : x, { training: false }) as tf.Tensor2D);
        const stats = tf.tidy(() => {
          const logits = resolved.views.map((v) => forward(v));
          const plain = identity >= 0 ? logits[identity]! : forward(undefined);
          const combined = tf.addN(logits.map((l, i) => tf.mul(l, resolved.weights[i]!)));
          return tf.stack([
            softmaxCrossEntropy(combined, b.y),
            tf.cast(countCorrect(combined, b.y), 'float32'),
            softmaxCrossEntropy(plain, b.y),
            tf.cast(countCorrect(plain, b.y), 'float32'),
          ]);
        });
        const v = await stats.data();
        stats.dispose();
        sums.loss += v[0]! * size;
        sums.correct += Math.round(v[1]!);
        sums.plainLoss += v[2]! * size;
        sums.plainCorrect += Math.round(v[3]!);
        samples += size;
        batch += 1;
        const seconds = (performance.now() - t0) / 1000;
        reporter.update({ batch, total: loader.length, loss: sums.loss / samples, accuracy: sums.correct / samples, imgPerSec: samples / seconds, seconds });
      } finally {
        tf.dispose([b.x, b.y]);
      }
    }
  } finally {
    reporter.stop();
  }
  if (samples === 0) throw new CnnError('evaluateWithTta: the loader yielded no batches', { code: 'ERR_CNN_EMPTY_LOADER' });
  const seconds = (performance.now() - t0) / 1000;
  return {
    loss: sums.loss / samples,
    accuracy: sums.correct / samples,
    noTta: { loss: sums.plainLoss / samples, accuracy: sums.plainCorrect / samples },
    samples,
    seconds,
    imgPerSec: samples / seconds,
  };
}
