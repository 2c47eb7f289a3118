/**
 * The one error hierarchy of the toolkit. Every package's error class extends {@link CnnError}; checks use
 * `X.isInstance(error)` rather than `instanceof`, which fails when two copies of a package are loaded (ESM and
 * CJS builds side by side, or two versions in one bundle).
 *
 * @packageDocumentation
 */

const MARKER = Symbol.for('@cnn/core.CnnError');

/**
 * Base class of every error thrown by the `@cnn` packages. A subclass only sets its `name`; its static
 * `isInstance` (inherited) then recognises instances of that subclass, and of its own subclasses, from any
 * copy of the package that defines it: each instance records the names of its error classes up the
 * prototype chain under a `Symbol.for` key.
 *
 * @example
 * ```ts
 * class TrainError extends CnnError { override name = 'TrainError'; }
 * TrainError.isInstance(new TrainError('x')); // true, also across package copies
 * CnnError.isInstance(new TrainError('x'));   // true
 * ```
 */
export class CnnError extends Error {
  private readonly [MARKER]: readonly string[];

  /**
   * A stable, machine-readable code in Node's `ERR_…` convention (e.g. `ERR_CNN_DATA_FORMAT`): what a program
   * switches on, while the message is for people and may change. Default `ERR_CNN`.
   */
  readonly code: string;

  /**
   * @param message - What went wrong, naming the field and what was expected ("Received: x=…").
   * @param options - `cause`: the underlying error, kept for stack traces; `code`: the stable
   *   {@link CnnError.code} (default `ERR_CNN`).
   */
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? 'ERR_CNN';
    const names: string[] = [];
    for (let p: unknown = new.target; typeof p === 'function' && p !== Error; p = Object.getPrototypeOf(p)) names.push((p as { name: string }).name);
    this[MARKER] = names;
  }

  /** True when `error` is an instance of this class (or a subclass) from any copy of the package defining it. */
  static isInstance<T extends abstract new (...args: never[]) => CnnError>(this: T, error: unknown): error is InstanceType<T> {
    if (typeof error !== 'object' || error === null) return false;
    const names = (error as Record<symbol, unknown>)[MARKER];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the check is called on (TrainError.isInstance)
    return Array.isArray(names) && names.includes((this as unknown as { name: string }).name);
  }
}

/**
 * A layer (or activation) that a graph walker, exporter or optimiser cannot handle; names the layer and its
 * class (tfjs-layers `getClassName()`).
 */
export class UnsupportedLayerError extends CnnError {
  /** Name of the offending layer, e.g. `conv_lstm`. */
  readonly layerName: string;
  /** Its class name, e.g. `ConvLSTM2D`. */
  readonly layerType: string;

  /**
   * @param where - The function that refused the layer, e.g. `exportOnnx`.
   * @param detail - Why, e.g. `shared layers are not supported`.
   */
  constructor(where: string, layerName: string, layerType: string, detail = '') {
    super(`${where}: layer '${layerName}' of type ${layerType} is not supported${detail ? ` (${detail})` : ''}`, {
      code: 'ERR_CNN_UNSUPPORTED_LAYER',
    });
    this.layerName = layerName;
    this.layerType = layerType;
  }
}
