/**
 * The toolkit's charts as Vega-Lite (v6) specifications — plain JSON, built without any renderer — and the one
 * renderer, {@link renderChartSvg} (vega, headless, also in a browser). PNG files: `renderChartPng` /
 * `writeChart` in `@cnn/core/node`.
 *
 * @packageDocumentation
 */

/** The per-epoch record the curve charts read (the fields of `@cnn/train`'s `HistoryEntry` they use). */
export interface EpochMetrics {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Training accuracy, 0–1. */
  accuracy: number;
  /** Validation loss after the epoch (present when the run had a validation set). */
  val_loss?: number;
  /** Validation accuracy after the epoch, 0–1 (present when the run had a validation set). */
  val_accuracy?: number;
  /** Test loss after the epoch (present when the run reported a test set per epoch; not for model selection). */
  test_loss?: number;
  /** Test accuracy after the epoch, 0–1 (present when the run reported a test set per epoch). */
  test_accuracy?: number;
  /** `false` on an epoch that was not evaluated (`fit({evalEvery})`): its `val_*` / `test_*` values are `NaN` and not drawn. */
  evaluated?: false;
}

/** A Vega-Lite (v6) specification, as a plain JSON object. */
export type VegaLiteSpec = Record<string, unknown>;

/** Shared look of every chart: font, grid and sizes readable at 100 % zoom. */
const CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  background: 'white',
  padding: 8,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eee', domainColor: '#888', tickColor: '#888' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'top', title: null },
  title: { fontSize: 14, fontWeight: 'bold', anchor: 'start', offset: 10 },
  header: { labelFontSize: 11, titleFontSize: 12 },
  range: { category: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'] },
};

function base(title: string, width: number, height: number): VegaLiteSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width, height, config: CONFIG };
}

/**
 * Training, validation and test curves per epoch (`loss`, `val_loss`, `test_loss`, or the `accuracy` ones);
 * validation / test points only for the epochs that have them as finite numbers and were evaluated (not
 * `evaluated: false`).
 * @param history - One entry per epoch; a partial history (live charts) is fine.
 * @param metric - `'loss'` (cross-entropy) or `'accuracy'` (fractions in `[0, 1]`, shown as percent).
 */
export function curvesSpec(history: readonly EpochMetrics[], metric: 'loss' | 'accuracy'): VegaLiteSpec {
  const point = (h: EpochMetrics, split: string, value: number | undefined) =>
    h.evaluated === false || typeof value !== 'number' || !Number.isFinite(value) ? [] : [{ epoch: h.epoch, split, value }];
  const values = history.flatMap((h) => [
    { epoch: h.epoch, split: 'train', value: metric === 'loss' ? h.loss : h.accuracy },
    ...point(h, 'validation', metric === 'loss' ? h.val_loss : h.val_accuracy),
    ...point(h, 'test', metric === 'loss' ? h.test_loss : h.test_accuracy),
  ]);
  return {
    ...base(metric === 'loss' ? 'Loss per epoch' : 'Accuracy per epoch', 340, 220),
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 2 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: metric === 'loss' ? 'cross-entropy loss' : 'accuracy',
        scale: { zero: false },
        ...(metric === 'accuracy' ? { axis: { format: '.0%' } } : {}),
      },
      color: { field: 'split', type: 'nominal', sort: ['train', 'validation', 'test'] },
    },
  };
}

/**
 * Learning rate against epoch (from `history.json`) or against optimiser step (per-batch schedules).
 * @param points `{x, lr}` pairs; `x` is the epoch (1-based) or the step.
 */
export function learningRateSpec(points: readonly { x: number; lr: number }[], xTitle = 'epoch'): VegaLiteSpec {
  const positive = points.every((p) => p.lr > 0);
  const constant = points.every((p) => p.lr === points[0]?.lr);
  return {
    ...base(`Learning rate per ${xTitle}`, 340, 220),
    data: { values: points },
    mark: { type: 'line', point: points.length <= 60, strokeWidth: 2, color: '#6a3d9a' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'lr',
        type: 'quantitative',
        title: 'learning rate',
        scale: positive && !constant ? { type: 'log' } : { zero: false },
        axis: { format: '.1e' },
      },
    },
  };
}

/**
 * Confusion-matrix heatmap: rows true class, columns predicted class; colour by row-normalised value, text the
 * count.
 * @param counts `[numClasses, numClasses]` counts.
 */
export function confusionMatrixSpec(counts: readonly (readonly number[])[], classNames: readonly string[]): VegaLiteSpec {
  const values = counts.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({ true: classNames[i], predicted: classNames[j], count, rate: total === 0 ? 0 : count / total }));
  });
  const cell = Math.max(22, Math.min(56, Math.floor(440 / Math.max(1, classNames.length))));
  const size = cell * classNames.length;
  return {
    ...base('Confusion matrix', size, size),
    title: { text: 'Confusion matrix', subtitle: 'colour: fraction of the true class · text: count' },
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: classNames, title: 'predicted class', axis: { labelAngle: -40, orient: 'bottom' } },
      y: { field: 'true', type: 'nominal', sort: classNames, title: 'true class' },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: {
            field: 'rate',
            type: 'quantitative',
            scale: { scheme: 'blues', domain: [0, 1] },
            title: 'row fraction',
            legend: { orient: 'right', format: '.0%', gradientLength: Math.min(size, 200) },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: classNames.length > 12 ? 8 : 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.rate > 0.55', value: 'white' }, value: '#222' },
        },
      },
    ],
  };
}

/** Bar chart of accuracy per true class (`accuracy` fractions in `[0, 1]`; `null` bars are omitted). */
export function perClassAccuracySpec(perClass: readonly { name: string; accuracy: number | null; support: number }[]): VegaLiteSpec {
  const values = perClass.filter((p) => p.accuracy !== null);
  return {
    ...base('Accuracy per class', Math.max(240, Math.min(640, 44 * perClass.length)), 220),
    data: { values },
    encoding: {
      x: { field: 'name', type: 'nominal', sort: perClass.map((p) => p.name), title: 'class', axis: { labelAngle: -40 } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
    },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' }, encoding: { tooltip: [{ field: 'support' }] } },
      { mark: { type: 'text', dy: -7, fontSize: 10 }, encoding: { text: { field: 'accuracy', type: 'quantitative', format: '.0%' } } },
    ],
  };
}

/** A histogram already binned: `counts[i]` values fell in `[edges[i], edges[i + 1])`. */
export interface Histogram {
  /** What was binned, e.g. `conv1 [26,26,32]` or `conv1/kernel`. */
  name: string;
  /** `bins + 1` increasing edges. */
  edges: number[];
  /** `bins` counts. */
  counts: number[];
  /** Values left out because they were NaN or ±Infinity. */
  nonFinite: number;
}

/** Small-multiple histograms, one panel per entry (per layer), independent axes. */
export function histogramsSpec(title: string, histograms: readonly Histogram[], columns = 3): VegaLiteSpec {
  const values = histograms.flatMap((h) => h.counts.map((count, i) => ({ name: h.name, x0: h.edges[i], x1: h.edges[i + 1], count })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: CONFIG,
    data: { values },
    facet: { field: 'name', type: 'nominal', title: null, sort: histograms.map((h) => h.name), header: { labelFontSize: 11 } },
    columns,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 200,
      height: 110,
      mark: { type: 'rect', color: '#59a14f' },
      encoding: {
        x: { field: 'x0', type: 'quantitative', title: null, axis: { tickCount: 4, format: '.2~g' } },
        x2: { field: 'x1' },
        y: { field: 'count', type: 'quantitative', title: 'count', axis: { tickCount: 3 } },
      },
    },
  };
}

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
let modules: Promise<[VegaModule, VegaLiteModule]> | undefined;

/**
 * Loads vega and vega-lite (ESM-only optional peer dependencies of `@cnn/core`) lazily with `import()`, so the
 * CommonJS build works and pages that draw no chart do not load them.
 * @throws Error naming the packages to install when they are missing.
 */
export function loadVega(): Promise<[VegaModule, VegaLiteModule]> {
  modules ??= Promise.all([import('vega'), import('vega-lite')]).catch((err: unknown) => {
    modules = undefined;
    throw new Error(`charts need the packages vega and vega-lite (npm install vega vega-lite): ${(err as Error).message}`, { cause: err });
  });
  return modules;
}

/**
 * Renders a Vega-Lite spec headless (no canvas, no DOM) to an SVG string: vega-lite compiles it, vega's
 * `View.toSVG()` draws it. Works in Node and in a browser.
 * @throws Error from vega-lite when the spec is invalid.
 */
export async function renderChartSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vl] = await loadVega();
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
