import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Analysis } from '../analysis/analyze-run.js';
import { writeFileAtomic } from '@cnn/core/node';
import { confusionMatrixSpec, curvesSpec, histogramsSpec, learningRateSpec, perClassAccuracySpec, renderChartSvg, type VegaLiteSpec } from '@cnn/core';
import type { HistoryEntry, RunSummary, TtaView } from '../types.js';
import { assertRunFiles, exists, readHistory, readOptionalJson, readSummary } from './run-files.js';

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** Page title; default `"<model> — <run directory name>"`. */
  title?: string;
  /** Output file name inside the run directory. Default `report.html`. */
  fileName?: string;
}

const escapeHtml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);

const percent = (v: number, digits = 2): string => `${(v * 100).toFixed(digits)}%`;

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

const number = (v: number, digits = 0): string => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function svgImage(spec: VegaLiteSpec, alt: string): Promise<string> {
  const svg = await renderChartSvg(spec);
  return `<img class="chart" alt="${escapeHtml(alt)}" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}">`;
}

async function pngImage(runDir: string, file: string, alt: string): Promise<string | undefined> {
  const path = join(runDir, file);
  if (!(await exists(path))) return undefined;
  const data = await readFile(path);
  return `<img class="picture" alt="${escapeHtml(alt)}" src="data:image/png;base64,${data.toString('base64')}">`;
}

/** A {@link TtaView} in words: `identity`, `mirror`, `shift (1, 1)`, `shift (−1, −1) + mirror`. */
export function describeTtaView(view: TtaView): string {
  if (view === 'identity') return 'identity';
  if (view === 'flip') return 'mirror';
  const [dy, dx] = view.translate ?? [0, 0];
  const parts = [...(dy !== 0 || dx !== 0 ? [`shift (${dy}, ${dx})`.replace(/-/g, '−')] : []), ...(view.flip ? ['mirror'] : [])];
  return parts.length > 0 ? parts.join(' + ') : 'identity';
}

function summaryCards(summary: RunSummary, history: HistoryEntry[], analysis: Analysis | undefined): string {
  // the best epoch by validation accuracy (histories with a validation set; never selected on test_*)
  const evaluated = history.filter((h): h is HistoryEntry & { val_accuracy: number } => h.evaluated !== false && Number.isFinite(h.val_accuracy));
  const best = evaluated.length > 0 ? evaluated.reduce((a, b) => (b.val_accuracy > a.val_accuracy ? b : a)) : undefined;
  const tta = summary.tta !== undefined;
  const cards: [string, string][] = [
    ['model', summary.model],
    ...(summary.recipe !== undefined ? [['recipe', summary.recipe] as [string, string]] : []),
    ['backend', summary.backend],
    ['parameters', number(summary.params)],
    ['epochs', String(summary.epochs)],
    [tta ? 'test accuracy (TTA)' : 'test accuracy', percent(summary.testAcc)],
    ...(tta && summary.testAccNoTta !== undefined ? [['test acc. without TTA', percent(summary.testAccNoTta)] as [string, string]] : []),
    ['test loss', summary.testLoss.toFixed(4)],
    ...(best ? [['best val. acc.', `${percent(best.val_accuracy)} (epoch ${best.epoch})`] as [string, string]] : []),
    ['training time', duration(summary.trainSeconds)],
    ...(summary.totalSeconds !== undefined ? [['total time', duration(summary.totalSeconds)] as [string, string]] : []),
    ['train throughput', `${number(summary.trainImgPerSec)} img/s`],
    ['eval throughput', `${number(summary.evalImgPerSec)} img/s`],
    ...(analysis?.topK ?? []).filter((t) => t.k > 1).map((t): [string, string] => [`top-${t.k} accuracy`, percent(t.accuracy)]),
  ];
  return `<div class="cards">${cards
    .map(([k, v]) => `<div class="card"><div class="label">${escapeHtml(k)}</div><div class="value">${escapeHtml(v)}</div></div>`)
    .join('')}</div>`;
}

function reportTable(analysis: Analysis): string {
  const r = analysis.report;
  const row = (name: string, p: number, rc: number, f1: number, support: number, cls = '') =>
    `<tr class="${cls}"><th>${escapeHtml(name)}</th><td>${p.toFixed(4)}</td><td>${rc.toFixed(4)}</td><td>${f1.toFixed(4)}</td><td>${support}</td></tr>`;
  return `<table class="metrics"><thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>
${r.classes.map((c) => row(c.name, c.precision, c.recall, c.f1, c.support)).join('\n')}
<tr class="sep"><th>accuracy</th><td></td><td></td><td>${r.accuracy.toFixed(4)}</td><td>${r.macroAvg.support}</td></tr>
${row('macro avg', r.macroAvg.precision, r.macroAvg.recall, r.macroAvg.f1, r.macroAvg.support)}
${row('weighted avg', r.weightedAvg.precision, r.weightedAvg.recall, r.weightedAvg.f1, r.weightedAvg.support)}
</tbody></table>`;
}

function ttaSection(summary: RunSummary): string {
  const tta = summary.tta!;
  const level = tta.level !== undefined ? ` (airbench level ${tta.level})` : '';
  const rows = tta.views.map((v, i) => `<tr><th>${escapeHtml(describeTtaView(v))}</th><td>${(tta.weights[i] ?? NaN).toFixed(4)}</td></tr>`).join('\n');
  const noTta =
    summary.testAccNoTta !== undefined
      ? ` Without TTA: accuracy ${percent(summary.testAccNoTta)}${summary.testLossNoTta !== undefined ? `, loss ${summary.testLossNoTta.toFixed(4)}` : ''}.`
      : '';
  return (
    `<p class="note">The final test accuracy averages the model's logits over ${tta.views.length} views of each test image${escapeHtml(level)}, ` +
    `weighted as below: accuracy ${percent(summary.testAcc)}, loss ${summary.testLoss.toFixed(4)}.${noTta} ` +
    'Shifts are (down, right) in pixels over a reflect-padded border; the mirror is left–right, applied after the shift.</p>' +
    `<table class="metrics"><thead><tr><th>view</th><th>weight</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
  );
}

const STYLE = `
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif; color: var(--fg); background: #fff; }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--bg); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .sub { color: var(--muted); font-size: 13px; }
nav { margin-top: 10px; display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; }
main { padding: 8px 32px 40px; max-width: 1400px; }
section { margin-top: 26px; }
h2 { font-size: 18px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p.note { color: var(--muted); margin: 0 0 10px; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: #fff; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 17px; font-weight: 600; word-break: break-word; }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
img.chart { border: 1px solid var(--line); border-radius: 6px; max-width: 100%; height: auto; }
img.picture { border: 1px solid var(--line); border-radius: 6px; max-width: 100%; height: auto; image-rendering: auto; }
table.metrics { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.metrics th, table.metrics td { padding: 4px 14px; border-bottom: 1px solid var(--line); text-align: right; }
table.metrics th:first-child { text-align: left; }
table.metrics thead th { background: var(--bg); }
table.metrics tr.sep th, table.metrics tr.sep td { border-top: 2px solid var(--line); }
footer { color: var(--muted); font-size: 12px; padding: 0 32px 24px; }
`;

/**
 * Renders `report.html` for a run directory from the files present: `history.json` and `summary.json`
 * (required; a summary with `tta` adds a "Test-time augmentation" section: the views, their weights, and the
 * accuracy with and without TTA), and when present `analysis.json` (from `analyzeRun`), `samples.png`, `misclassified.png`,
 * `top-losses.png`, `gradcam.png`, `augment-preview.png` and `lr-steps.json` (`[{step, lr}]`, a per-batch
 * learning-rate schedule). Charts are Vega-Lite specs rendered headless to SVG; every image is inlined as a
 * `data:` URI so the page is self-contained (no network). Written atomically.
 *
 * @returns absolute path of the written report.
 * @throws ExplainError when `history.json` or `summary.json` is missing (the message names what is missing) or
 *   malformed (names the file, entry and field).
 */
export async function writeReport(runDir: string, options: WriteReportOptions = {}): Promise<string> {
  const dir = resolve(runDir);
  await assertRunFiles(dir);
  const history = await readHistory(join(dir, 'history.json'));
  const summary = await readSummary(join(dir, 'summary.json'));
  const analysis = await readOptionalJson<Analysis>(join(dir, 'analysis.json'));
  const lrSteps = await readOptionalJson<{ step: number; lr: number }[]>(join(dir, 'lr-steps.json'));
  const title = options.title ?? `${summary.model} — ${basename(dir)}`;

  const sections: { id: string; title: string; body: string }[] = [];
  sections.push({ id: 'summary', title: 'Run summary', body: summaryCards(summary, history, analysis) });
  if (summary.tta) sections.push({ id: 'tta', title: 'Test-time augmentation', body: ttaSection(summary) });
  const lrChart =
    lrSteps && lrSteps.length > 0
      ? await svgImage(
          learningRateSpec(
            lrSteps.map((s) => ({ x: s.step, lr: s.lr })),
            'step',
          ),
          'learning rate per step',
        )
      : await svgImage(learningRateSpec(history.map((h) => ({ x: h.epoch, lr: h.lr }))), 'learning rate per epoch');
  sections.push({
    id: 'curves',
    title: 'Training curves',
    body: `<div class="row">${await svgImage(curvesSpec(history, 'loss'), 'loss per epoch')}${await svgImage(curvesSpec(history, 'accuracy'), 'accuracy per epoch')}${lrChart}</div>`,
  });
  const missingAnalysis = '<p class="note">No analysis.json in this run directory: run <code>analyzeRun</code> to add it.</p>';
  if (analysis) {
    sections.push({
      id: 'confusion',
      title: 'Confusion matrix and per-class accuracy',
      body: `<p class="note">${analysis.numSamples} evaluation images; accuracy ${percent(analysis.accuracy)}, mean loss ${analysis.meanLoss.toFixed(4)}.</p><div class="row">${await svgImage(
        confusionMatrixSpec(analysis.confusionMatrix, analysis.classNames),
        'confusion matrix',
      )}${await svgImage(perClassAccuracySpec(analysis.perClassAccuracy), 'accuracy per class')}</div>`,
    });
    sections.push({ id: 'per-class', title: 'Classification report', body: reportTable(analysis) });
  } else {
    sections.push({ id: 'confusion', title: 'Confusion matrix and per-class accuracy', body: missingAnalysis });
  }
  const pictures: [string, string, string, string][] = [
    ['misclassified', 'Misclassified images', 'misclassified.png', 'Most confident mistakes first (true class, predicted class and its probability).'],
    ['top-losses', 'Top losses', 'top-losses.png', 'Images with the highest cross-entropy loss; green captions are correct predictions.'],
    [
      'grad-cam',
      'Grad-CAM',
      'gradcam.png',
      `Class activation maps for the predicted class${analysis ? ` at layer <code>${escapeHtml(analysis.camLayer)}</code>` : ''} (Selvaraju et al. 2017), Grad-CAM++ (Chattopadhay et al. 2018) and SmoothGrad input saliency (Smilkov et al. 2017); turbo colormap, red = most important.`,
    ],
    ['samples', 'Dataset samples', 'samples.png', 'A few evaluation images of every class with their labels (as given in the dataset).'],
    ['augmentation', 'Augmentation preview', 'augment-preview.png', 'Training-time augmentation applied to sample images.'],
  ];
  for (const [id, heading, file, note] of pictures) {
    const img = await pngImage(dir, file, heading);
    if (img) sections.push({ id, title: heading, body: `<p class="note">${note}</p>${img}` });
  }
  if (analysis && analysis.weightHistograms.length + analysis.activationHistograms.length > 0) {
    const charts: string[] = [];
    if (analysis.weightHistograms.length > 0)
      charts.push(await svgImage(histogramsSpec('Weight histograms (kernels)', analysis.weightHistograms), 'weight histograms'));
    if (analysis.activationHistograms.length > 0) {
      charts.push(await svgImage(histogramsSpec('Activation histograms (first evaluation batch)', analysis.activationHistograms), 'activation histograms'));
    }
    sections.push({ id: 'histograms', title: 'Weights and activations', body: `<div class="row">${charts.join('')}</div>` });
  }

  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<div class="sub">${escapeHtml(summary.model)} on ${escapeHtml(summary.backend)} · ${summary.epochs} epochs · test accuracy ${percent(summary.testAcc)}</div>
<nav>${sections.map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`).join('')}</nav>
</header>
<main>
${sections.map((s) => `<section id="${s.id}">\n<h2>${escapeHtml(s.title)}</h2>\n${s.body}\n</section>`).join('\n')}
</main>
<footer>Generated by @cnn/explain on ${new Date().toISOString()} from ${escapeHtml(basename(dir))}.</footer>
</body>
</html>
`;
  const out = join(dir, options.fileName ?? 'report.html');
  await writeFileAtomic(out, html);
  return out;
}
