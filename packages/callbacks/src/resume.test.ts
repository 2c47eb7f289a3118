import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '@cnn/train/node';

const CHILD = fileURLToPath(new URL('./__fixtures__/resume-child.ts', import.meta.url));
const PKG = fileURLToPath(new URL('..', import.meta.url));

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Array<Record<string, unknown>>;
  stderr: string;
}

/** Runs the child; with `killInEpoch`, sends SIGKILL as soon as it reports being inside that epoch. */
function runChild(args: string[], killInEpoch = 0): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      cwd: PKG,
      env: { ...process.env, SLOW_EPOCH: String(killInEpoch) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Array<Record<string, unknown>> = [];
    let buf = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line) as Record<string, unknown>;
          events.push(ev);
          if (killInEpoch && ev.event === 'in-epoch' && ev.epoch === killInEpoch) child.kill('SIGKILL');
        } catch {
          /* tfjs banner */
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, events, stderr }));
  });
}

type Out = { history: Array<{ epoch: number; loss: number; accuracy: number; val_loss: number; val_accuracy: number; lr: number }>; weights: number[][] };
const pick = (h: Out['history']) => h.map((e) => [e.epoch, e.loss, e.accuracy, e.val_loss, e.val_accuracy, e.lr]);

describe('exact resume after SIGKILL', () => {
  it('a run killed in the middle of epoch 3 and resumed ends with the uninterrupted history and weights', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'resume-'));
    const ref = await runChild([join(tmp, 'ref-ckpt'), join(tmp, 'ref.json')]);
    expect(ref.code, ref.stderr).toBe(0);

    const killed = await runChild([join(tmp, 'ckpt'), join(tmp, 'killed.json')], 3);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.events.some((e) => e.event === 'in-epoch' && e.epoch === 3)).toBe(true);
    expect(killed.events.some((e) => e.event === 'done')).toBe(false);
    const atKill = await loadCheckpoint(join(tmp, 'ckpt'));
    expect(atKill.epoch).toBe(2); // only the interrupted epoch is lost
    expect(atKill.loaderEpoch).toBe(2);
    expect(Object.keys(atKill.callbacks).sort()).toEqual(['EarlyStopping', 'LRScheduler', 'ModelCheckpoint']);
    expect(atKill.rng).toEqual({ dropout: { seed: 13, calls: 12 } }); // 2 epochs × 6 batches

    const resumed = await runChild([join(tmp, 'ckpt'), join(tmp, 'resumed.json'), 'resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(tmp, 'ref.json'), 'utf8')) as Out;
    const b = JSON.parse(readFileSync(join(tmp, 'resumed.json'), 'utf8')) as Out;
    expect(a.history).toHaveLength(5);
    expect(a.history.map((e) => e.lr)).toEqual([0.02, 0.02, 0.01, 0.01, 0.005]);
    // the cpu backend is deterministic: the histories and final weights are identical
    expect(pick(b.history)).toEqual(pick(a.history));
    expect(b.weights).toEqual(a.weights);
  });
});
