import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { softmaxCrossEntropy } from './loss';
import type { Optimizer } from './optimizers/optimizer';

/** Result of one training step. */
export interface StepResult {
  /** Mean cross-entropy of the batch (before the update). */
  loss: number;
  /** Number of samples whose argmax logit equals the label (before the update). */
  correct: number;
}

/**
 * The trainable parameters of a model as tf variables keyed by their stable layer-scoped name
 * (`LayerVariable.originalName`, e.g. `conv1/kernel`, the name also used in saved weights).
 * @throws Error when two trainable weights share a name.
 */
export function trainableVariables(model: tfl.LayersModel): Record<string, tf.Variable> {
  const vars: Record<string, tf.Variable> = {};
  for (const w of model.trainableWeights) {
    if (vars[w.originalName]) throw new Error(`trainableVariables: duplicate weight name '${w.originalName}' in model '${model.name}'`);
    vars[w.originalName] = w.read() as tf.Variable;
  }
  return vars;
}

/** Number of rows of `[batch, k]` logits whose argmax equals the `[batch]` int32 label (scalar int32). */
export function countCorrect(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'int32')) as tf.Scalar);
}

/**
 * One optimisation step, as PyTorch's `zero_grad(); loss = crit(model(x), y); loss.backward();
 * opt.step()`: forward with `model.apply(x, {training: true})` (dropout active, batch norm in
 * training mode), softmax cross-entropy, gradients with `tf.variableGrads` over the model's trainable
 * variables, then `optimizer.step`. All intermediate tensors are disposed; loss and correct count are
 * read back with one `dataSync`. The caller keeps ownership of `x` and `y`.
 *
 * @param x `[batch, height, width, channels]` float32 NHWC images.
 * @param y `[batch]` int32 labels.
 * @returns the batch's loss (may be NaN/Inf; the caller decides) and correct count.
 */
export function trainStep(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, optimizer: Optimizer): StepResult {
  const vars = trainableVariables(model);
  const byVarName: Record<string, string> = {};
  for (const [key, v] of Object.entries(vars)) byVarName[v.name] = key;
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true }) as tf.Tensor;
    correct = tf.keep(countCorrect(logits, y));
    return softmaxCrossEntropy(logits, y);
  }, Object.values(vars));
  const keyed: Record<string, tf.Tensor> = {};
  for (const [varName, g] of Object.entries(grads)) keyed[byVarName[varName]] = g;
  try {
    optimizer.step(keyed, vars);
    const both = tf.tidy(() => tf.stack([value, tf.cast(correct!, 'float32')]));
    const [loss, c] = both.dataSync();
    both.dispose();
    return { loss, correct: Math.round(c) };
  } finally {
    tf.dispose([value, correct!, ...Object.values(grads)]);
  }
}
