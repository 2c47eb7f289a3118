/**
 * Training FLOPs of a network from its layer shapes, for the benchmark's effective GFLOP/s.
 *
 * @packageDocumentation
 */
import type * as tfl from '@tensorflow/tfjs-layers';

/** One convolution or dense layer's multiply-accumulates per image and which gradients a training step computes. */
export interface LayerFlops {
  /** Layer name. */
  name: string;
  /** Multiply-accumulates of the forward pass per image (`out_h·out_w·k_h·k_w·c_in·c_out`, or `in·out`). */
  macs: number;
  /** Whether the step computes the gradient of the layer's input (some trainable weight lies upstream). */
  inputGrad: boolean;
  /** Whether the step computes the gradient of the layer's kernel (the kernel is trainable). */
  weightGrad: boolean;
}

/** Result of {@link trainingFlops}. */
export interface TrainingFlops {
  /** The convolution and dense layers, in model order. */
  layers: LayerFlops[];
  /** Forward FLOPs per image: `2 · Σ MACs`. */
  forward: number;
  /**
   * Training-step FLOPs per image: per layer `2·MACs` for the forward pass, `2·MACs` more for the input gradient and
   * `2·MACs` more for the kernel gradient when the step computes them — the usual "3× forward", less the input
   * gradient of layers fed by the data and the kernel gradient of frozen kernels (airbench94's whitening
   * convolution: forward only).
   */
  train: number;
}

/**
 * Counts the FLOPs of the convolution and dense layers of a tfjs-layers model (the layers with a rank-4 or rank-2
 * `kernel`), from their kernel and output shapes; element-wise layers (BatchNorm, activations, pooling) are left
 * out, as usual for "effective FLOP/s". For airbench94 with the default widths: 118,147,360 MACs, i.e.
 * 236,294,720 forward FLOPs and 707,777,088 training FLOPs per image.
 * @throws Error when a counted layer's output shape is unknown (a model with free spatial dimensions).
 */
export function trainingFlops(model: tfl.LayersModel): TrainingFlops {
  const upstreamTrainable = new Map<tfl.layers.Layer, boolean>();
  const layers: LayerFlops[] = [];
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    const inputGrad = inbound.some((l) => upstreamTrainable.get(l) === true);
    upstreamTrainable.set(layer, inputGrad || layer.trainableWeights.length > 0);
    const kernel = layer.weights.find((w) => w.originalName === `${layer.name}/kernel`);
    if (!kernel || (kernel.shape.length !== 4 && kernel.shape.length !== 2)) continue;
    const out = layer.outputShape as (number | null)[];
    const spatial = out.slice(1, -1);
    if (spatial.some((d) => d == null)) throw new Error(`trainingFlops: layer '${layer.name}' has an unknown output shape [${out.join(', ')}]`);
    const positions = (spatial as number[]).reduce((a, b) => a * b, 1);
    const macs = positions * (kernel.shape as number[]).reduce((a, b) => a * b, 1);
    layers.push({ name: layer.name, macs, inputGrad, weightGrad: layer.trainableWeights.includes(kernel) });
  }
  const forward = 2 * layers.reduce((s, l) => s + l.macs, 0);
  const train = layers.reduce((s, l) => s + 2 * l.macs * (1 + (l.inputGrad ? 1 : 0) + (l.weightGrad ? 1 : 0)), 0);
  return { layers, forward, train };
}

/** Effective GFLOP/s of `imgPerSec` images per second at `flopsPerImage` FLOPs each, 1 decimal. */
export function gflopsPerSecond(flopsPerImage: number, imgPerSec: number): number {
  return Math.round((flopsPerImage * imgPerSec) / 1e8) / 10;
}

/** What the bench reads from `fast_step_reference.py`'s summary line. */
export interface FastReferenceResult {
  /** Training images per second at the reference's batch. */
  train: number;
  /** Inference images per second at its evaluation batch. */
  eval: number;
  /** The reference's own count of training FLOPs per image (from its module shapes), when it reports one. */
  trainFlopsPerImage?: number;
}

/**
 * Validates the summary line of `scripts/fast_step_reference.py` (`{"ref": "torch-fast-step", "trainImgPerSec": …,
 * "evalImgPerSec": …, "flopsPerImage": {"forward": …, "train": …}}`).
 * @throws Error naming the missing or malformed field.
 */
export function parseFastReference(line: Record<string, unknown>): FastReferenceResult {
  if (line.ref !== 'torch-fast-step') throw new Error(`fast_step_reference.py: expected ref "torch-fast-step", got ${JSON.stringify(line.ref)}`);
  const num = (k: string): number => {
    const v = line[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new Error(`fast_step_reference.py: ${k} must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const flops = line.flopsPerImage as { train?: unknown } | undefined;
  return {
    train: num('trainImgPerSec'),
    eval: num('evalImgPerSec'),
    ...(typeof flops?.train === 'number' ? { trainFlopsPerImage: flops.train } : {}),
  };
}
