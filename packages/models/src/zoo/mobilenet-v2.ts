import * as tfl from '@tensorflow/tfjs-layers';
import { dropout } from '../dropout.js';
import { bn, conv, globalAvgPool, input, linear, relu, ZooBuilder, type Sym, type ZooOptions } from './common.js';

/** torchvision's inverted-residual settings: expansion t, output channels c, repeats n, first stride s. */
const SETTINGS: readonly [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Options of {@link mobilenetV2}. */
export interface MobileNetV2Options extends ZooOptions {
  /** Dropout before the classifier. Default `0.2` (torchvision). */
  dropoutRate?: number;
}

/**
 * MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", 2018) with
 * torchvision's architecture and module paths as layer names (`torchvision.models.mobilenet_v2`, width
 * 1.0): `features.0.{0,1,2}` (3×3/2 conv, BN, ReLU6), inverted residuals `features.{i}.conv.{j}...`
 * (expand 1×1 conv-BN-ReLU6 when t ≠ 1, depthwise 3×3 conv-BN-ReLU6, linear 1×1 projection + BN, `add`
 * when stride 1 and channels equal), `features.18.{0,1,2}` (1×1 → 1280), `avgpool`, `classifier.0`
 * (dropout), `classifier.1` (Linear). 3,504,872 trainable parameters for 1000 classes.
 *
 * Input `[batch, H, W, 3]` NHWC (default `[224, 224, 3]`), output `[batch, numClasses]` logits.
 * Depthwise kernels are `[3, 3, channels, 1]` (PyTorch: `[channels, 1, 3, 3]`).
 * @throws Error on invalid options.
 */
export function mobilenetV2(opts: MobileNetV2Options = {}): tfl.LayersModel {
  const b = new ZooBuilder('mobilenetV2', opts, [224, 224, 3]);
  const rate = opts.dropoutRate ?? 0.2;
  const inp = input(b);
  const cbr = (x: Sym, name: string, filters: number, kernel: number, stride: number, depthwise = false): Sym => {
    let y = conv(b, x, { name: `${name}.0`, filters, kernel, stride, padding: (kernel - 1) / 2, depthwise });
    y = bn(y, `${name}.1`);
    return relu(y, `${name}.2`, 6);
  };
  let x = cbr(inp, 'features.0', 32, 3, 2);
  let idx = 1;
  for (const [t, c, n, s] of SETTINGS) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const p = `features.${idx}`;
      const inC = x.shape[3] as number;
      const hidden = Math.round(inC * t);
      let y = x;
      let j = 0;
      if (t !== 1) y = cbr(y, `${p}.conv.${j++}`, hidden, 1, 1);
      y = cbr(y, `${p}.conv.${j++}`, hidden, 3, stride, true);
      y = conv(b, y, { name: `${p}.conv.${j++}`, filters: c, kernel: 1, padding: 0 });
      y = bn(y, `${p}.conv.${j++}`);
      x = stride === 1 && inC === c ? (tfl.layers.add({ name: `${p}.add` }).apply([x, y]) as Sym) : y;
      idx++;
    }
  }
  x = cbr(x, `features.${idx}`, 1280, 1, 1);
  x = globalAvgPool(x, 'avgpool');
  x = dropout({ name: 'classifier.0', rate, seed: b.nextSeed() }).apply(x) as Sym;
  const out = linear(b, x, 'classifier.1', b.numClasses);
  return tfl.model({ inputs: inp, outputs: out, name: 'mobilenet_v2' });
}
