import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExplainError } from '../errors.js';

/** What {@link inspectReport} saw in the browser. */
export interface ReportInspection {
  /** Ids of the page's `<section>` elements, in order. */
  sections: string[];
  /** Every `<img>`: alt text, whether it finished loading, and its natural size in pixels. */
  images: { alt: string; complete: boolean; width: number; height: number }[];
  /** Console errors, uncaught page errors and failed requests (should be empty: the page is self-contained). */
  errors: string[];
  /** Path of the full-page PNG screenshot, when one was asked for. */
  screenshot?: string;
}

/** Options of {@link inspectReport}. */
export interface InspectReportOptions {
  /** Chromium executable. Default `/usr/bin/chromium` (Debian: `apt-get install -y chromium`). */
  executablePath?: string;
  /** Write a full-page PNG screenshot here (its folder is created). Default: none. */
  screenshot?: string;
  /** Viewport width in CSS pixels. Default `1280`. */
  width?: number;
}

/** Default Chromium of Debian's `chromium` package. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Opens a `report.html` in headless Chromium (through `playwright-core`, an optional peer dependency;
 * no browser download — it drives the system Chromium with a fresh profile, network features off) and
 * returns its sections, images (natural sizes), errors, and optionally a full-page screenshot — the check
 * that a report renders for a person.
 *
 * @throws ExplainError when the report or Chromium is missing (naming `apt-get install -y chromium`) or
 *   `playwright-core` is not installed.
 */
export async function inspectReport(reportPath: string, options: InspectReportOptions = {}): Promise<ReportInspection> {
  const executablePath = options.executablePath ?? DEFAULT_CHROMIUM;
  if (!existsSync(reportPath)) throw new ExplainError(`inspectReport: no report at ${reportPath}`);
  if (!existsSync(executablePath)) {
    throw new ExplainError(`inspectReport: no Chromium at ${executablePath} (Debian: apt-get install -y chromium)`);
  }
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new ExplainError('inspectReport: playwright-core is not installed (npm install playwright-core)');
  }
  const profile = await mkdtemp(join(tmpdir(), 'cnn-report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    viewport: { width: options.width ?? 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url().slice(0, 80)}`));
    await page.goto(`file://${reportPath}`, { waitUntil: 'load' });
    const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({ alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight })));
    const sections = await page.$$eval('section', (s) => s.map((e) => e.id));
    let screenshot: string | undefined;
    if (options.screenshot) {
      await mkdir(dirname(options.screenshot), { recursive: true });
      await page.screenshot({ path: options.screenshot, fullPage: true });
      screenshot = options.screenshot;
    }
    return { sections, images, errors, screenshot };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}
