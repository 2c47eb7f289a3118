import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { mnistPreprocess } from './preprocess.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const pad = $<HTMLCanvasElement>('pad');
const ctx = pad.getContext('2d', { willReadFrequently: true })!;
const status = $<HTMLParagraphElement>('status');

/** Tries webgl, then wasm, then cpu (or the order in `?backends=wasm,cpu`); returns the active backend name. */
async function chooseBackend(): Promise<string> {
  setWasmPaths('./');
  const order = new URLSearchParams(location.search).get('backends')?.split(',') ?? ['webgl', 'wasm', 'cpu'];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)).dataSync()); // the context really works
        return name;
      }
    } catch (err) {
      console.warn(`backend ${name} unavailable:`, err);
    }
  }
  throw new Error('no tfjs backend could be initialised');
}

function clear(): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
  $('top').innerHTML = '';
  document.body.dataset['top1'] = '';
}

async function main(): Promise<void> {
  const backend = await chooseBackend();
  $('backend').textContent = backend;
  const model = await tfl.loadLayersModel('./model/model.json');
  tf.tidy(() => {
    (model.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor).dataSync();
  }); // warm-up
  clear();
  status.textContent = 'ready: draw a digit';
  document.body.dataset['ready'] = 'true';

  const predict = (): void => {
    const { data, width, height } = ctx.getImageData(0, 0, pad.width, pad.height);
    const grey = new Float32Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[i * 4]! / 255;
    const { pixels, input } = mnistPreprocess(grey, width, height);
    const small = $<HTMLCanvasElement>('input').getContext('2d')!;
    const img = small.createImageData(28, 28);
    pixels.forEach((v, i) => {
      img.data.set([v * 255, v * 255, v * 255, 255], i * 4);
    });
    small.putImageData(img, 0, 0);
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(input, [1, 28, 28, 1])) as tf.Tensor).dataSync());
    const order = Array.from(probs.keys())
      .sort((a, b) => probs[b]! - probs[a]!)
      .slice(0, 3);
    $('top').innerHTML = order
      .map(
        (c) =>
          `<li data-label="${c}"><b>${c}</b> ${(probs[c]! * 100).toFixed(1)}%<span class="bar" style="width:${Math.round(probs[c]! * 150)}px"></span></li>`,
      )
      .join('');
    document.body.dataset['top1'] = String(order[0]);
  };

  let drawing = false;
  let last: [number, number] | null = null;
  const pos = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * (pad.width / r.width), (e.clientY - r.top) * (pad.height / r.height)];
  };
  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = pos(e);
    pad.setPointerCapture(e.pointerId);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing || !last) return;
    const p = pos(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  const end = (): void => {
    if (drawing) {
      drawing = false;
      last = null;
      predict();
    }
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', clear);
}

main().catch((err: unknown) => {
  status.textContent = `error: ${(err as Error).message}`;
  document.body.dataset['error'] = String(err);
});
