import type * as tfl from '@tensorflow/tfjs-layers';

/** One row of {@link summary}: a layer. */
export interface SummaryRow {
  /** Layer name, e.g. `conv1`. */
  name: string;
  /** Layer class name, e.g. `Conv2D`. */
  type: string;
  /** Output shape with `null` for the batch axis, e.g. `[null, 24, 24, 32]`. */
  outputShape: (number | null)[] | (number | null)[][];
  /** Number of scalar parameters of the layer (trainable + non-trainable). */
  params: number;
  /** Number of those parameters that are trainable. */
  trainable: number;
}

/** Result of {@link summary}. */
export interface ModelSummary {
  /** One row per layer, in model order. */
  rows: SummaryRow[];
  /** Scalar parameters updated by the optimiser. */
  trainableParams: number;
  /** Other scalar parameters (e.g. batch-norm running mean/variance). */
  nonTrainableParams: number;
  /** `trainableParams + nonTrainableParams`. */
  totalParams: number;
}

function count(weights: { shape: (number | null)[] }[]): number {
  return weights.reduce((acc, w) => acc + w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
}

/**
 * Per-layer parameter counts of a tfjs-layers model, split into trainable and non-trainable as Keras'
 * `model.summary()` does. Trainable totals equal PyTorch's `sum(p.numel() for p in model.parameters())`
 * (batch-norm running statistics are buffers in PyTorch, non-trainable weights here).
 */
export function summary(model: tfl.LayersModel): ModelSummary {
  const rows: SummaryRow[] = model.layers.map((layer) => {
    let outputShape: SummaryRow['outputShape'];
    try {
      outputShape = layer.outputShape as SummaryRow['outputShape'];
    } catch {
      outputShape = [];
    }
    return {
      name: layer.name,
      type: layer.getClassName(),
      outputShape,
      params: count(layer.weights),
      trainable: count(layer.trainableWeights),
    };
  });
  const trainableParams = count(model.trainableWeights);
  const nonTrainableParams = count(model.nonTrainableWeights);
  return { rows, trainableParams, nonTrainableParams, totalParams: trainableParams + nonTrainableParams };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * Renders a {@link ModelSummary} as a fixed-width table in the style of Keras' `model.summary()`:
 * columns "Layer (type)", "Output Shape", "Param #", then total / trainable / non-trainable lines.
 */
export function formatSummary(s: ModelSummary): string {
  const cells = s.rows.map((r) => [`${r.name} (${r.type})`, JSON.stringify(r.outputShape).replace(/,/g, ', '), fmt(r.params)]);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)) + 2);
  const line = (c: string[]): string =>
    c
      .map((v, i) => (i === 2 ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('')
      .trimEnd();
  const width = widths.reduce((a, b) => a + b, 0);
  return [
    '='.repeat(width),
    line(head),
    '='.repeat(width),
    ...cells.map(line),
    '='.repeat(width),
    `Total params: ${fmt(s.totalParams)}`,
    `Trainable params: ${fmt(s.trainableParams)}`,
    `Non-trainable params: ${fmt(s.nonTrainableParams)}`,
    '_'.repeat(width),
  ].join('\n');
}
