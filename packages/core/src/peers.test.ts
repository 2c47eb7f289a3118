import { describe, expect, it } from 'vitest';
import { CnnError } from './errors.js';
import { importPeer, isModuleNotFound, MissingPeerError } from './peers.js';
import { loadVega, setVegaLoader } from './charts.js';

describe('importPeer', () => {
  it('turns a missing package into MissingPeerError (ERR_CNN_MISSING_PEER) naming the package to install', async () => {
    const missing = 'cnn-no-such-package-for-test';
    const err = await importPeer(missing, 'the test feature', () => import(/* @vite-ignore */ missing)).catch((e: unknown) => e);
    expect(MissingPeerError.isInstance(err)).toBe(true);
    expect(CnnError.isInstance(err)).toBe(true);
    expect((err as MissingPeerError).code).toBe('ERR_CNN_MISSING_PEER');
    expect((err as MissingPeerError).packageName).toBe(missing);
    expect((err as Error).message).toBe(`the test feature needs the optional package ${missing}, which is not installed: npm install ${missing}`);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('returns the module when it is installed', async () => {
    const m = await importPeer('@tensorflow/tfjs-core', 'tensors', () => import('@tensorflow/tfjs-core'));
    expect(typeof m.tensor).toBe('function');
  });

  it('passes other errors through (a package that is there but fails to load)', async () => {
    const boom = new Error('boom');
    await expect(importPeer('sharp', 'x', () => Promise.reject(boom))).rejects.toBe(boom);
    // A missing *dependency of* the package is not the package missing.
    expect(isModuleNotFound({ code: 'ERR_MODULE_NOT_FOUND', message: "Cannot find package 'other' imported from x" }, 'sharp')).toBe(false);
    expect(isModuleNotFound({ code: 'MODULE_NOT_FOUND', message: "Cannot find module 'sharp'" }, 'sharp')).toBe(true);
  });
});

describe('setVegaLoader', () => {
  it('charts load vega through the loader given, once, and a failing loader is retried on the next call', async () => {
    let calls = 0;
    setVegaLoader(async () => {
      calls += 1;
      if (calls === 1) throw new MissingPeerError('vega', 'charts');
      return Promise.all([import('vega'), import('vega-lite')]);
    });
    try {
      await expect(loadVega()).rejects.toMatchObject({ code: 'ERR_CNN_MISSING_PEER', packageName: 'vega' });
      const [vega, vl] = await loadVega();
      await loadVega();
      expect(calls).toBe(2);
      expect(typeof vega.View).toBe('function');
      expect(typeof vl.compile).toBe('function');
    } finally {
      setVegaLoader(undefined);
    }
    const [vega] = await loadVega(); // the default: import by name (vega is a dev dependency here)
    expect(typeof vega.parse).toBe('function');
  });
});
