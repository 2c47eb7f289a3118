import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.map': 'application/json',
  '.css': 'text/css',
};

/**
 * Serves the files under `root` (GET only, no directory listing, paths confined to `root`) on
 * `host:port` (default 127.0.0.1, port 0 = any free). Resolves with the base URL and a `close()`.
 */
export async function serveStatic(root: string, port = 0, host = '127.0.0.1'): Promise<{ url: string; close: () => Promise<void> }> {
  const base = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.resolve(base, `.${rel === '/' ? '/index.html' : rel}`);
    if (req.method !== 'GET' || !file.startsWith(base + path.sep)) {
      res.writeHead(404).end('not found');
      return;
    }
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: p } = server.address() as { port: number };
  return { url: `http://${host}:${p}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
