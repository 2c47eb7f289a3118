import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-server.js';

describe('serveStatic (sirv)', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serveStatic>>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'static-server-'));
    mkdirSync(path.join(dir, 'site'));
    writeFileSync(path.join(dir, 'site', 'index.html'), '<p>home</p>');
    writeFileSync(path.join(dir, 'site', 'a b.js'), 'export const x = 1;');
    writeFileSync(path.join(dir, 'site', 'm.wasm'), Buffer.from([0, 97, 115, 109]));
    writeFileSync(path.join(dir, 'secret.txt'), 'outside the root');
    server = await serveStatic(path.join(dir, 'site'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html for /, files by (encoded) name with their content type', async () => {
    const home = await fetch(`${server.url}/`);
    expect([home.status, home.headers.get('content-type')?.split(';')[0], await home.text()]).toEqual([200, 'text/html', '<p>home</p>']);
    const js = await fetch(`${server.url}/a%20b.js`);
    expect([js.status, js.headers.get('content-type')?.split(';')[0]]).toEqual([200, 'text/javascript']);
    const wasm = await fetch(`${server.url}/m.wasm`);
    expect([wasm.status, wasm.headers.get('content-type')]).toEqual([200, 'application/wasm']);
  });

  it('a malformed path (/%, /%zz) is a 404 and the server keeps serving', async () => {
    for (const bad of ['/%', '/%zz', '/a%E0%A4%A.js']) {
      const r = await fetch(`${server.url}${bad}`);
      expect({ bad, status: r.status }).toEqual({ bad, status: 404 });
    }
    expect((await fetch(`${server.url}/`)).status).toBe(200);
  });

  it('does not leave the root, and answers 404 to missing files and POST', async () => {
    expect((await fetch(`${server.url}/../secret.txt`)).status).toBe(404);
    expect((await fetch(`${server.url}/%2e%2e/secret.txt`)).status).toBe(404);
    expect((await fetch(`${server.url}/nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/index.html`, { method: 'POST' })).status).toBe(404);
  });
});
