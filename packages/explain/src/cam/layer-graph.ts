import type * as tfl from '@tensorflow/tfjs-layers';
import { ExplainError } from '../errors.js';

export { forwardLayers, type ForwardOptions, type ForwardResult } from '@cnn/core';

/** Names of the layers of `model` whose output is 4-D (`[batch, height, width, channels]`), in model order. */
export function spatialLayerNames(model: tfl.LayersModel, convOnly = false): string[] {
  return model.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .filter((l) => {
      const shape = l.outputShape;
      return Array.isArray(shape) && !Array.isArray(shape[0]) && shape.length === 4;
    })
    .filter((l) => !convOnly || /Conv/.test(l.getClassName()))
    .map((l) => l.name);
}

/**
 * Name of the last convolution layer (4-D output, class name containing `Conv`) — the usual Grad-CAM target.
 * @throws ExplainError when the model has none.
 */
export function lastConvLayerName(model: tfl.LayersModel): string {
  const names = spatialLayerNames(model, true);
  if (names.length === 0) throw new ExplainError(`lastConvLayerName: model '${model.name}' has no convolution layer`);
  return names[names.length - 1];
}

/**
 * Checks that `layerName` exists in `model` and has a 4-D output.
 * @throws ExplainError listing the convolution layers available otherwise.
 */
export function assertSpatialLayer(fn: string, model: tfl.LayersModel, layerName: string): void {
  const conv = spatialLayerNames(model, true);
  const candidates = `convolution layers available: ${conv.length > 0 ? conv.join(', ') : '(none)'}`;
  const layer = model.layers.find((l) => l.name === layerName);
  if (layer === undefined) {
    throw new ExplainError(`${fn}: no layer named '${layerName}' in model '${model.name}'; ${candidates}`);
  }
  const shape = layer.outputShape;
  if (!(Array.isArray(shape) && !Array.isArray(shape[0]) && shape.length === 4)) {
    throw new ExplainError(
      `${fn}: layer '${layerName}' output has shape ${JSON.stringify(shape)}, expected 4-D ` + `[batch, height, width, channels]; ${candidates}`,
    );
  }
}
