/**
 * Trains a small CNN on MNIST in the page with the browser-safe packages — `@cnn/data`'s DataLoader,
 * `@cnn/models`' layers, `@cnn/train`'s `fit` with Adam, `@cnn/callbacks`' EarlyStopping, `@cnn/core`'s chart
 * renderer — then explains a drawn digit with `@cnn/explain`'s Grad-CAM. Backend: webgpu → webgl → cpu.
 * Query parameters (used by the headless test): `n` training images (default 10,000), `epochs` (default 3),
 * `auto=1` starts training at load.
 */
import { renderChartSvg, setVegaLoader, type VegaLiteSpec } from '@cnn/core';
import { EarlyStopping } from '@cnn/callbacks';
import { DataLoader, MNIST_MEAN, MNIST_STD, datasetSubset, randomSplit } from '@cnn/data';
import { GradCam, applyColormap, colormapLut } from '@cnn/explain';
import { conv2d, dense } from '@cnn/models';
import { Adam, LambdaCallback, evaluate, fit } from '@cnn/train';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { decodeMnistSubset } from './mnist-static.js';
import { mnistPreprocess } from './preprocess.js';

// Charts load vega on the first chart; the imports written here let esbuild bundle it (as a lazily loaded part).
setVegaLoader(() => Promise.all([import('vega'), import('vega-lite')]));

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

/** What the page exposes to scripts (the headless test reads it). */
interface TrainPageState {
  backend?: string;
  done?: boolean;
  epochs?: number;
  testLoss?: number;
  testAccuracy?: number;
  cam?: { predicted: number; finite: boolean; min: number; max: number };
  error?: string;
}
const state: TrainPageState = {};
(window as unknown as { trainPage: TrainPageState }).trainPage = state;

/** webgpu → webgl → cpu: the first that initialises and runs an op. */
async function chooseBackend(): Promise<string> {
  for (const name of ['webgpu', 'webgl', 'cpu']) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync());
        return name;
      }
    } catch (err) {
      console.warn(`backend ${name} unavailable:`, err);
    }
  }
  throw new Error('no tfjs backend could be initialised');
}

/** conv(8, 3×3, relu) → maxpool 2 → conv(16, 3×3, relu) → maxpool 2 → flatten → dense(10): 4,570 parameters. */
function smallCnn(): tfl.Sequential {
  const m = tfl.sequential({ name: 'small_cnn' });
  m.add(
    conv2d({
      inputShape: [28, 28, 1],
      filters: 8,
      kernelSize: 3,
      activation: 'relu',
      name: 'conv1',
      kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
    }),
  );
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  m.add(conv2d({ filters: 16, kernelSize: 3, activation: 'relu', name: 'conv2', kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
  m.add(tfl.layers.flatten({ name: 'flatten' }));
  m.add(dense({ units: 10, name: 'fc', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }));
  return m;
}

/** A live line chart of the running loss and accuracy per batch, drawn by `@cnn/core`'s Vega renderer. */
function curveSpec(points: { step: number; metric: string; value: number }[]): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 180,
    background: 'white',
    data: { values: points },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'batch' },
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'metric', type: 'nominal', title: null },
    },
  };
}

async function train(model: tfl.Sequential): Promise<void> {
  const n = Number(params.get('n') ?? 10_000);
  const epochs = Number(params.get('epochs') ?? 3);
  $('train').setAttribute('disabled', 'true');
  const status = $('status');
  status.textContent = 'loading mnist-subset.bin…';
  const bytes = new Uint8Array(await (await fetch('./mnist-subset.bin')).arrayBuffer());
  const data = decodeMnistSubset(bytes);
  // a seeded, stratified 90/10 split of the training images: early stopping selects on validation, not test
  const [trainSet, validationSet] = randomSplit(datasetSubset(data.train, Math.min(n, data.train.length)), [0.9, 0.1], { seed: 0 });
  const norm = { mean: MNIST_MEAN, std: MNIST_STD };
  const trainLoader = new DataLoader(trainSet, { batchSize: 32, shuffle: true, seed: 0, ...norm });
  const validationLoader = new DataLoader(validationSet, { batchSize: 500, ...norm });
  const testLoader = new DataLoader(data.test, { batchSize: 500, ...norm });
  const bar = $<HTMLProgressElement>('progress');
  const total = epochs * trainLoader.length;
  bar.max = total;
  const points: { step: number; metric: string; value: number }[] = [];
  let step = 0;
  let drawing = Promise.resolve();
  const draw = (): void => {
    drawing = drawing.then(async () => {
      $('chart').innerHTML = await renderChartSvg(curveSpec(points));
    });
  };
  let runLoss = 0;
  let runAcc = 0;
  const progress = new LambdaCallback({
    onEpochBegin: (epoch) => {
      status.textContent = `training epoch ${epoch}/${epochs} on ${trainSet.length} images (${state.backend})`;
    },
    onBatchEnd: async (_batch, logs) => {
      step += 1;
      bar.value = step;
      runLoss = step === 1 ? logs.loss! : 0.9 * runLoss + 0.1 * logs.loss!;
      runAcc = step === 1 ? logs.accuracy! : 0.9 * runAcc + 0.1 * logs.accuracy!;
      points.push({ step, metric: 'loss', value: runLoss }, { step, metric: 'accuracy', value: runAcc });
      if (step % 10 === 0) draw();
      await tf.nextFrame(); // let the page paint
    },
    onEpochEnd: (epoch, logs) => {
      $('epochs').insertAdjacentHTML(
        'beforeend',
        `<li>epoch ${epoch}: loss ${logs.loss!.toFixed(4)}, val_loss ${logs.val_loss!.toFixed(4)}, val_accuracy ${(logs.val_accuracy! * 100).toFixed(2)}%</li>`,
      );
    },
  });
  const early = new EarlyStopping({
    monitor: 'val_loss',
    patience: 1,
    restoreBestWeights: true,
    log: (l) => {
      $('early').textContent = l;
    },
  });
  const optimizer = new Adam({ lr: 3e-3 });
  const history = await fit(model, {
    train: trainLoader,
    validation: validationLoader,
    epochs,
    optimizer,
    callbacks: [progress, early],
    log: () => {},
    progress: 'none',
  });
  draw();
  await drawing;
  const final = await evaluate(model, testLoader);
  state.epochs = history.length;
  state.testLoss = final.loss;
  state.testAccuracy = final.accuracy;
  state.done = true;
  status.textContent = `trained ${history.length} epoch(s): test loss ${final.loss.toFixed(4)}, test accuracy ${(final.accuracy * 100).toFixed(2)}% (${data.test.length} images) — draw a digit and press Explain`;
  document.body.dataset['trained'] = 'true';
  $('explain').removeAttribute('disabled');
}

async function explain(model: tfl.Sequential, pad: HTMLCanvasElement): Promise<void> {
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const { data, width, height } = ctx.getImageData(0, 0, pad.width, pad.height);
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = data[i * 4]! / 255;
  const { input } = mnistPreprocess(grey, width, height);
  const x = tf.tensor4d(input, [1, 28, 28, 1]);
  const cam = new GradCam(model, 'conv2');
  const details = cam.computeWithDetails(x);
  const predicted = details.targets.dataSync()[0]!;
  const map = tf.tidy(() => tf.squeeze(details.cam, [0]) as tf.Tensor2D);
  const values = map.dataSync();
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const rgb = await applyColormap(map, await colormapLut('turbo'));
  const out = $<HTMLCanvasElement>('cam');
  const octx = out.getContext('2d')!;
  const img = octx.createImageData(28, 28);
  for (let i = 0; i < 28 * 28; i++) {
    const g = Math.max(0, Math.min(1, input[i]! * MNIST_STD + MNIST_MEAN));
    for (let c = 0; c < 3; c++) img.data[i * 4 + c] = Math.round(0.5 * rgb[i * 3 + c]! + 0.5 * 255 * g);
    img.data[i * 4 + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  state.cam = { predicted, finite: Array.from(values).every(Number.isFinite), min, max };
  $('predicted').textContent = String(predicted);
  tf.dispose([x, map, details.cam, details.weights, details.targets, details.logits]);
  document.body.dataset['explained'] = 'true';
}

function setUpPad(pad: HTMLCanvasElement): void {
  const ctx = pad.getContext('2d', { willReadFrequently: true })!;
  const clear = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let last: [number, number] | null = null;
  const pos = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * (pad.width / r.width), (e.clientY - r.top) * (pad.height / r.height)];
  };
  pad.addEventListener('pointerdown', (e) => {
    last = pos(e);
    pad.setPointerCapture(e.pointerId);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = pos(e);
    Object.assign(ctx, { strokeStyle: '#fff', lineWidth: 20, lineCap: 'round' });
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  const end = (): void => {
    last = null;
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', clear);
}

async function main(): Promise<void> {
  state.backend = await chooseBackend();
  $('backend').textContent = state.backend;
  const model = smallCnn();
  const pad = $<HTMLCanvasElement>('pad');
  setUpPad(pad);
  const run = (): void => {
    train(model).catch(fail);
  };
  $('train').addEventListener('click', run);
  $('explain').addEventListener('click', () => {
    explain(model, pad).catch(fail);
  });
  document.body.dataset['ready'] = 'true';
  $('status').textContent = 'ready: press Train';
  if (params.get('auto') === '1') run();
}

function fail(err: unknown): void {
  state.error = String((err as Error)?.stack ?? err);
  $('status').textContent = `error: ${(err as Error).message}`;
  document.body.dataset['error'] = state.error;
}

main().catch(fail);
