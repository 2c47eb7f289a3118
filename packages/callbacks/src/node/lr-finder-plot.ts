import { writeChart } from '@cnn/core/node';
import { lrFinderSpec, type LRFinderResult } from '../lr-finder.js';

/** Writes the range-test plot as PNG plus its Vega-Lite spec (`<name>.vl.json`). @returns both paths. */
export async function writeLrFinderPlot(result: LRFinderResult, pngPath: string, title?: string): Promise<{ png: string; spec: string }> {
  return writeChart(lrFinderSpec(result, title), pngPath);
}
