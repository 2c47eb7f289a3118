/** Formats an integer with thousands separators: `4870` → `4,870`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Formats a 0–1 fraction as a percentage with two decimals: `0.98712` → `98.71%`. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** Formats a learning rate in short scientific notation: `0.001` → `1.0e-3`. */
export function formatLr(lr: number): string {
  return lr.toExponential(1).replace('e+', 'e');
}

/** Formats seconds as `12.3 s`, or `2m 05s` from 100 s on. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '? s';
  if (s < 100) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}m ${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}
