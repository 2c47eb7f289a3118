import { CnnError } from '@cnn/core';

export { UnsupportedLayerError } from '@cnn/core';

/**
 * Base class of the errors `@cnn/deploy` defines; `DeployError.isInstance(e)` works across module copies.
 * A layer an exporter cannot translate throws `@cnn/core`'s `UnsupportedLayerError` (re-exported here), shared
 * with the graph walker; `CnnError.isInstance` recognises both.
 */
export class DeployError extends CnnError {}

/** A model folder / URL whose `model.json` or weight files are malformed, unsafe or inconsistent. */
export class ModelFileError extends DeployError {}
