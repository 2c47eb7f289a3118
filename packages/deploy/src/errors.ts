/** Base class of every error thrown by `@cnn/deploy`; `DeployError.isInstance(e)` works across module copies. */
export class DeployError extends Error {
  private readonly deployErrorMarker = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeployError';
  }

  /** True when `error` is a {@link DeployError} (also one from another copy of this package). */
  static isInstance(error: unknown): error is DeployError {
    return typeof error === 'object' && error !== null && (error as { deployErrorMarker?: unknown }).deployErrorMarker === true;
  }
}

/** A layer (or activation) that an exporter or optimiser cannot translate; names the layer and its class. */
export class UnsupportedLayerError extends DeployError {
  /** Name of the offending layer, e.g. `conv_lstm`. */
  readonly layerName: string;
  /** Its class name, e.g. `ConvLSTM2D`. */
  readonly layerType: string;

  constructor(where: string, layerName: string, layerType: string, detail = '') {
    super(`${where}: layer '${layerName}' of type ${layerType} is not supported${detail ? ` (${detail})` : ''}`);
    this.name = 'UnsupportedLayerError';
    this.layerName = layerName;
    this.layerType = layerType;
  }
}

/** A model folder / URL whose `model.json` or weight files are malformed, unsafe or inconsistent. */
export class ModelFileError extends DeployError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelFileError';
  }
}
