import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mapChunks, resolveTta, ttaLogits, type TtaOptions } from './tta.js';
import { ModelError } from './errors.js';

/** How members' predictions are combined. */
export type Voting = 'soft' | 'hard';

/** Options of {@link ModelEnsemble}. */
export interface ModelEnsembleOptions {
  /** `'soft'` (default): weighted mean of the members' softmax; `'hard'`: weighted majority of their argmax. */
  voting?: Voting;
  /** One non-negative weight per member (not all zero). Default: equal weights. */
  weights?: number[];
  /** Member names for reports. Default: each model's `name`. */
  names?: string[];
}

/** Accuracy of the ensemble and of every member, from {@link ModelEnsemble.evaluate}. */
export interface EnsembleEvaluation {
  /** Fraction of samples the ensemble classifies correctly (0–1). */
  accuracy: number;
  /** Per member, in order. */
  members: { name: string; accuracy: number }[];
  /** Samples seen. */
  samples: number;
}

/**
 * An ensemble of classifiers with the same classes (e.g. VGG-style + ResNet + DenseNet), evaluated in
 * inference mode. Soft voting averages the members' class probabilities
 * `p(x) = Σ_m w_m softmax(f_m(x)) / Σ_m w_m`; hard voting counts `w_m` for each member's argmax class
 * (ties broken by the soft-voting probability). Members are not copied nor disposed by the ensemble.
 */
export class ModelEnsemble {
  /** The members. */
  readonly members: tfl.LayersModel[];
  /** Combination rule. */
  readonly voting: Voting;
  /** Normalised weights (sum 1). */
  readonly weights: number[];
  /** Member names. */
  readonly names: string[];

  /**
   * @throws Error when `members` is empty, `weights` has the wrong length, a negative/non-finite entry or
   *   sums to 0, or `voting` is unknown.
   */
  constructor(members: tfl.LayersModel[], opts: ModelEnsembleOptions = {}) {
    if (!Array.isArray(members) || members.length === 0) throw new ModelError('ModelEnsemble: members must be a non-empty array of models');
    const voting = opts.voting ?? 'soft';
    if (voting !== 'soft' && voting !== 'hard') throw new ModelError(`ModelEnsemble: voting must be 'soft' or 'hard'. Received: voting=${String(voting)}`);
    const w = opts.weights ?? members.map(() => 1);
    if (w.length !== members.length || w.some((v) => !(Number.isFinite(v) && v >= 0))) {
      throw new ModelError(`ModelEnsemble: weights must be ${members.length} finite numbers >= 0. Received: weights=${JSON.stringify(opts.weights)}`);
    }
    const sum = w.reduce((a, b) => a + b, 0);
    if (!(sum > 0)) throw new ModelError('ModelEnsemble: weights must not all be 0');
    if (opts.names && opts.names.length !== members.length) throw new ModelError(`ModelEnsemble: names must have ${members.length} entries`);
    this.members = members;
    this.voting = voting;
    this.weights = w.map((v) => v / sum);
    this.names = opts.names ?? members.map((m) => m.name);
  }

  private memberProbs(x: tf.Tensor): tf.Tensor2D[] {
    return this.members.map((m) => tf.softmax(m.apply(x, { training: false }) as tf.Tensor2D));
  }

  /**
   * Class scores of the ensemble: soft voting → weighted mean probability; hard voting → weighted vote
   * share. Each row sums to 1.
   * @param x `[batch, height, width, channels]` float32 NHWC.
   * @returns `[batch, numClasses]` float32.
   * @throws Error when members disagree on the number of classes.
   */
  predictProba(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.combine(this.memberProbs(x)));
  }

  private combine(probs: tf.Tensor2D[]): tf.Tensor2D {
    const k = probs[0].shape[1];
    probs.forEach((p, i) => {
      if (p.shape[1] !== k) throw new ModelError(`ModelEnsemble: member '${this.names[i]}' has ${p.shape[1]} classes, member '${this.names[0]}' ${k}`);
    });
    const soft = tf.addN(probs.map((p, i) => tf.mul(p, this.weights[i]))) as tf.Tensor2D;
    if (this.voting === 'soft') return soft;
    const votes = tf.addN(probs.map((p, i) => tf.mul(tf.oneHot(tf.argMax(p, 1), k, 1, 0, 'float32'), this.weights[i]))) as tf.Tensor2D;
    return votes;
  }

  /**
   * Class scores with test-time augmentation: each member's logits are averaged over the views first
   * (`Σ_v w_v f_m(view_v(x))`, see `predictTta`), then combined as {@link ModelEnsemble.predictProba} does
   * (soft voting: weighted mean of their softmax; hard: weighted vote share). Each row sums to 1.
   * @param x `[batch, height, width, channels]` float32 NHWC (not disposed).
   * @param opts - `TtaOptions`: `views` (default identity + flip; `airbenchTta(2)` for airbench's six),
   *   `weights` (default uniform), `batchSize` (default 256).
   * @returns `[batch, numClasses]` float32.
   * @throws Error on invalid options, when `x` is not rank 4, or members disagree on the number of classes.
   */
  predictTta(x: tf.Tensor4D, opts: TtaOptions = {}): tf.Tensor2D {
    const tta = resolveTta('ModelEnsemble.predictTta', opts);
    if (!(x instanceof tf.Tensor) || x.rank !== 4) {
      throw new ModelError(
        `ModelEnsemble.predictTta: x must be [batch, height, width, channels]. Received: shape=${JSON.stringify((x as tf.Tensor | undefined)?.shape)}`,
      );
    }
    return mapChunks(x, tta.batchSize, (chunk) => this.combine(this.members.map((m) => tf.softmax(ttaLogits(m, chunk, tta)))));
  }

  /**
   * Predicted classes, `[batch]` int32 (hard-voting ties go to the class with the larger soft-voting
   * probability).
   * @param x `[batch, height, width, channels]` float32 NHWC.
   */
  predict(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => this.predictFrom(this.memberProbs(x)) as tf.Tensor1D);
  }

  /**
   * Accuracy of the ensemble and of each member over `batches` (`{x: [batch, H, W, C] float32,
   * y: [batch] int32}`; the batches are disposed after use, as `@cnn/train`'s loops do). Reads the counts with
   * `await t.data()`, so it works on backends without synchronous reads (webgpu in Node).
   * @throws Error when no batch is yielded.
   */
  async evaluate(batches: Iterable<{ x: tf.Tensor; y: tf.Tensor }> | AsyncIterable<{ x: tf.Tensor; y: tf.Tensor }>): Promise<EnsembleEvaluation> {
    let samples = 0;
    let correct = 0;
    const memberCorrect = this.members.map(() => 0);
    for await (const b of batches) {
      try {
        const counts = tf.tidy(() => {
          const y = tf.cast(b.y, 'int32');
          const probs = this.memberProbs(b.x);
          const hit = (pred: tf.Tensor): tf.Scalar => tf.sum(tf.cast(tf.equal(pred, y), 'int32'));
          return tf.stack([hit(this.predictFrom(probs)), ...probs.map((p) => hit(tf.argMax(p, 1)))]);
        });
        let c: Int32Array;
        try {
          c = (await counts.data()) as Int32Array;
        } finally {
          counts.dispose();
        }
        correct += c[0];
        for (let i = 0; i < memberCorrect.length; i++) memberCorrect[i] += c[i + 1];
        samples += b.x.shape[0];
      } finally {
        tf.dispose([b.x, b.y]);
      }
    }
    if (samples === 0) throw new ModelError('ModelEnsemble.evaluate: no batches');
    return { accuracy: correct / samples, members: this.names.map((name, i) => ({ name, accuracy: memberCorrect[i] / samples })), samples };
  }

  private predictFrom(probs: tf.Tensor2D[]): tf.Tensor {
    const scores = this.combine(probs);
    if (this.voting === 'soft') return tf.argMax(scores, 1);
    const soft = tf.addN(probs.map((p, i) => tf.mul(p, this.weights[i])));
    return tf.argMax(tf.add(scores, tf.mul(soft, 1e-6 * Math.min(...this.weights.filter((w) => w > 0)))), 1);
  }

  /** Disposes every member model. */
  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}
