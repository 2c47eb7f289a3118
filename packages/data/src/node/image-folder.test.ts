import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../testing/synthetic-mnist.js';
import { decodeImage, loadImageFolder, scanImageFolder } from './image-folder.js';

afterAll(removeTempDirs);

/** A w×h RGB image whose pixel (y, x) is (10·y + x, 3·x, 255 − y) — exact through PNG. */
function pattern(h: number, w: number, shift = 0): Buffer {
  const b = Buffer.alloc(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.set([(10 * y + x + shift) % 256, (3 * x) % 256, 255 - y], (y * w + x) * 3);
  return b;
}

async function png(path: string, raw: Buffer, h: number, w: number, channels: 1 | 3 | 4 = 3): Promise<void> {
  await sharp(raw, { raw: { width: w, height: h, channels } })
    .png()
    .toFile(path);
}

/** root/{cat,dog}/{0,1,2}.png — 4×5 RGB patterns, shift = 10·label + index. */
async function smallFolder(): Promise<string> {
  const root = await tempDir();
  for (const [label, cls] of ['cat', 'dog'].entries()) {
    await mkdir(join(root, cls));
    for (let i = 0; i < 3; i++) await png(join(root, cls, `${i}.png`), pattern(4, 5, 10 * label + i), 4, 5);
    await writeFile(join(root, cls, 'notes.txt'), 'ignored');
  }
  await mkdir(join(root, '.hidden'));
  return root;
}

describe('loadImageFolder', () => {
  it('reads classes from sorted sub-folders and pixels exactly (PNG), in file order', async () => {
    const root = await smallFolder();
    const ds = await loadImageFolder(root, { cache: false });
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(ds.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(ds.files).toEqual(['cat/0.png', 'cat/1.png', 'cat/2.png', 'dog/0.png', 'dog/1.png', 'dog/2.png']);
    expect([ds.length, ds.height, ds.width, ds.channels]).toEqual([6, 4, 5, 3]);
    for (let i = 0; i < 6; i++) {
      const shift = 10 * Math.floor(i / 3) + (i % 3);
      expect(Buffer.from(ds.images.subarray(i * 60, (i + 1) * 60))).toEqual(pattern(4, 5, shift));
    }
    const sub = await loadImageFolder(root, { cache: false, limitPerClass: 2 });
    expect(sub.files).toEqual(['cat/0.png', 'cat/1.png', 'dog/0.png', 'dog/1.png']);
  });

  it('turns grey and RGBA into RGB (replicate / drop alpha) and can resize', async () => {
    const dir = await tempDir();
    const grey = Buffer.from([0, 50, 100, 150, 200, 250]);
    await png(join(dir, 'g.png'), grey, 2, 3, 1);
    const g = await decodeImage(join(dir, 'g.png'));
    expect(g.channels).toBe(3);
    expect(Array.from(g.data.subarray(0, 6))).toEqual([0, 0, 0, 50, 50, 50]);
    const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]);
    await png(join(dir, 'a.png'), rgba, 1, 2, 4);
    expect(Array.from((await decodeImage(join(dir, 'a.png'))).data)).toEqual([10, 20, 30, 40, 50, 60]);
    const r = await decodeImage(join(dir, 'g.png'), { resize: { height: 4, width: 6 } });
    expect([r.height, r.width, r.data.length]).toEqual([4, 6, 72]);
    const one = await decodeImage(join(dir, 'a.png'), { channels: 1 });
    expect(one.channels).toBe(1);
    expect(one.data.length).toBe(2);
  });

  it('caches decoded pixels: the second load reads the cache, a changed file invalidates it', async () => {
    const root = await smallFolder();
    const cache = await tempDir();
    const first = await loadImageFolder(root, { cache });
    expect(first.cache?.hit).toBe(false);
    const second = await loadImageFolder(root, { cache });
    expect(second.cache).toEqual({ path: first.cache!.path, hit: true });
    expect(second.images).toEqual(first.images);
    expect(second.labels).toEqual(first.labels);
    // rewrite one image with other pixels (and a new mtime): the manifest differs, the cache is rebuilt
    await png(join(root, 'dog', '2.png'), pattern(4, 5, 99), 4, 5);
    await utimes(join(root, 'dog', '2.png'), new Date(), new Date(Date.now() + 5000));
    const third = await loadImageFolder(root, { cache });
    expect(third.cache?.hit).toBe(false);
    expect(Buffer.from(third.images.subarray(5 * 60))).toEqual(pattern(4, 5, 99));
    // a corrupt cache file is ignored and replaced, not trusted
    await writeFile(first.cache!.path, Buffer.from('CNNIMGF1garbage'));
    const fourth = await loadImageFolder(root, { cache });
    expect(fourth.cache?.hit).toBe(false);
    expect(fourth.images).toEqual(third.images);
    expect((await readFile(first.cache!.path)).length).toBeGreaterThan(6 * 60);
  });

  it('names the file of a truncated JPEG', async () => {
    const root = await smallFolder();
    const jpeg = await sharp(pattern(16, 16), { raw: { width: 16, height: 16, channels: 3 } })
      .jpeg()
      .toBuffer();
    await writeFile(join(root, 'cat', '3.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await expect(loadImageFolder(root, { cache: false, resize: { height: 4, width: 5 } })).rejects.toThrow(`cannot decode image ${join(root, 'cat', '3.jpg')}`);
    await writeFile(join(root, 'cat', '3.jpg'), 'not an image');
    await expect(loadImageFolder(root, { cache: false })).rejects.toThrow(`cannot decode image ${join(root, 'cat', '3.jpg')}`);
  });

  it('rejects an empty class folder, a folder with no classes, and a too large limitPerClass', async () => {
    const root = await smallFolder();
    await mkdir(join(root, 'emu'));
    await expect(scanImageFolder(root)).rejects.toThrow(`image folder ${root}: class folder 'emu' contains no images (.jpg, .jpeg, .png)`);
    const empty = await tempDir();
    await expect(loadImageFolder(empty)).rejects.toThrow(/no class sub-folders found/);
    await expect(loadImageFolder(join(empty, 'missing'))).rejects.toThrow(/cannot read the folder/);
    await expect(loadImageFolder(await smallFolder(), { limitPerClass: 4 })).rejects.toThrow(/limitPerClass = 4 exceeds the 3 images of class 'cat'/);
    await expect(loadImageFolder(root, { channels: 2 as never })).rejects.toThrow(/channels must be 1 or 3/);
  });

  it('rejects images of mixed sizes without resize, naming both files; resize accepts them', async () => {
    const root = await smallFolder();
    await png(join(root, 'dog', '1.png'), pattern(6, 5), 6, 5);
    await expect(loadImageFolder(root, { cache: false, concurrency: 1 })).rejects.toThrow(
      `image folder ${root}: dog/1.png is 6×5 but cat/0.png is 4×5; pass resize: { height, width } to load images of mixed sizes`,
    );
    const ds = await loadImageFolder(root, { cache: false, resize: { height: 8, width: 8 } });
    expect([ds.length, ds.height, ds.width]).toEqual([6, 8, 8]);
  });
});
