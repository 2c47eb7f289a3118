// The folders of @cnn/tune depend one way: trial ← queue ← search ← ensemble (a folder imports only folders to
// its left, and errors.ts); no module imports itself through a circle. Parsed from the sources' import lines.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.dirname(fileURLToPath(import.meta.url));
const LAYERS = ['trial', 'queue', 'search', 'ensemble'];

/** Published source files (no tests, fixtures or test helpers), relative to src/. */
function sources(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === '__fixtures__' || e.name === 'testing' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path.relative(src, p)] : [];
  });
}

/** The package-local modules a file imports (static imports and re-exports), as paths relative to src/. */
function localImports(file: string): string[] {
  const text = readFileSync(path.join(src, file), 'utf8');
  const specs = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'|^import\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1] ?? m[2]);
  return specs.map((s) => path.relative(src, path.resolve(path.dirname(path.join(src, file)), s)).replace(/\.js$/, '.ts'));
}

const layer = (file: string): number => LAYERS.indexOf(file.split(path.sep)[0]);

describe('module layout', () => {
  const files = sources();
  const graph = new Map(files.map((f) => [f, localImports(f)]));

  it('finds the layers and their imports', () => {
    for (const l of LAYERS) expect(files.some((f) => f.startsWith(`${l}/`))).toBe(true);
    expect(graph.get(path.join('ensemble', 'queue.ts'))).toContain(path.join('queue', 'client.ts'));
    for (const [f, deps] of graph) for (const d of deps) expect(files, `${f} imports ${d}`).toContain(d);
  });

  it('no folder imports a folder to its right (trial ← queue ← search ← ensemble)', () => {
    const upward = [...graph].flatMap(([f, deps]) => deps.filter((d) => layer(f) >= 0 && layer(d) > layer(f)).map((d) => `${f} → ${d}`));
    expect(upward).toEqual([]);
  });

  it('no import circle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        circles.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const d of graph.get(f) ?? []) visit(d, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });
});
