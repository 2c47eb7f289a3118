import * as tf from '@tensorflow/tfjs-core';
import { DeployError } from '../errors.js';

/** The part of a tfjs-layers model the batcher needs (`predict` on `[batch, ...inputShape]`). */
export interface Predictable {
  /** tfjs-layers' `predict`; `config.batchSize` keeps a micro-batch in one forward pass (its default is 32). */
  predict(x: tf.Tensor, config?: { batchSize?: number }): tf.Tensor | tf.Tensor[];
}

/** Options of {@link MicroBatcher}. */
export interface MicroBatcherOptions {
  /** Input shape without the batch axis, e.g. `[28, 28, 1]`. */
  inputShape: number[];
  /** Largest batch one `predict` runs. Default `32`. */
  maxBatch?: number;
  /** Longest wait in milliseconds for more requests after the first one arrives. Default `2`. */
  maxDelayMs?: number;
  /** Apply softmax to the model output (`true` for logits models). Default `true`. */
  softmax?: boolean;
  /** Called after each batched predict with its size and duration in seconds. */
  onBatch?: (size: number, seconds: number) => void;
}

interface Pending {
  input: Float32Array;
  resolve: (p: Float32Array) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects concurrent single-sample predictions into batches: the first request starts a timer of
 * `maxDelayMs`; when it fires or `maxBatch` requests are waiting, one `model.predict` runs on the stacked
 * `[n, ...inputShape]` float32 batch and each request receives its row (softmax probabilities by default).
 * If a batched predict throws, each request of that batch is retried alone, so one bad request fails
 * alone and the others succeed.
 */
export class MicroBatcher {
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly sampleSize: number;
  readonly maxBatch: number;
  readonly maxDelayMs: number;

  /** @throws DeployError when `maxBatch` < 1 or `maxDelayMs` < 0. */
  constructor(
    private readonly model: Predictable,
    private readonly opts: MicroBatcherOptions,
  ) {
    this.maxBatch = opts.maxBatch ?? 32;
    this.maxDelayMs = opts.maxDelayMs ?? 2;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1)
      throw new DeployError(`MicroBatcher: maxBatch must be an integer >= 1. Received: maxBatch=${opts.maxBatch}`);
    if (!(this.maxDelayMs >= 0)) throw new DeployError(`MicroBatcher: maxDelayMs must be >= 0. Received: maxDelayMs=${opts.maxDelayMs}`);
    this.sampleSize = opts.inputShape.reduce((a, b) => a * b, 1);
  }

  /**
   * Queues one sample (`inputShape` elements, NHWC row-major float32) and resolves with its output row.
   * @throws DeployError when the sample has the wrong length.
   */
  predict(input: Float32Array): Promise<Float32Array> {
    if (input.length !== this.sampleSize) return Promise.reject(new DeployError(`MicroBatcher: expected ${this.sampleSize} values, got ${input.length}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxBatch || this.closed) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
    });
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.running = this.running.then(() => this.run(batch));
    }
  }

  private forward(items: Pending[]): Float32Array[] {
    const n = items.length;
    const data = new Float32Array(n * this.sampleSize);
    items.forEach((p, i) => data.set(p.input, i * this.sampleSize));
    const out = tf.tidy(() => {
      // One forward pass for the whole micro-batch (tfjs-layers' predict splits into 32s by default).
      const y = this.model.predict(tf.tensor(data, [n, ...this.opts.inputShape]), { batchSize: n });
      const t = Array.isArray(y) ? y[0]! : y;
      const flat = tf.reshape(t, [n, -1]);
      return this.opts.softmax === false ? flat : tf.softmax(flat);
    });
    try {
      const values = out.dataSync() as Float32Array;
      const k = values.length / n;
      return items.map((_, i) => values.slice(i * k, (i + 1) * k));
    } finally {
      out.dispose();
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    const t0 = performance.now();
    try {
      const rows = this.forward(batch);
      this.opts.onBatch?.(batch.length, (performance.now() - t0) / 1000);
      batch.forEach((p, i) => p.resolve(rows[i]!));
    } catch (batchError) {
      if (batch.length === 1) {
        batch[0]!.reject(batchError);
        return;
      }
      for (const p of batch) {
        try {
          p.resolve(this.forward([p])[0]!);
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  /**
   * Runs the waiting requests now and resolves when every queued batch has finished. Requests that
   * still arrive (in-flight HTTP requests during shutdown) run at once, unbatched by time.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await this.running;
  }
}
