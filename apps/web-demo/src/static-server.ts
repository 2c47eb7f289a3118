import * as http from 'node:http';
import * as path from 'node:path';
import sirv from 'sirv';

/**
 * Serves the files under `root` with sirv (GET and HEAD only, no directory listing, paths confined to `root`,
 * content types from the file extension, `index.html` for `/`) on `host:port` (default 127.0.0.1, port 0 = any
 * free). Anything else, including a malformed path such as `/%`, is a 404; the server never throws on a request.
 * Resolves with the base URL and a `close()`.
 */
export async function serveStatic(root: string, port = 0, host = '127.0.0.1'): Promise<{ url: string; close: () => Promise<void> }> {
  const files = sirv(path.resolve(root), { dotfiles: false, etag: true });
  const notFound = (res: http.ServerResponse): void => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  };
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') notFound(res);
    else files(req, res, () => notFound(res));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: p } = server.address() as { port: number };
  return { url: `http://${host}:${p}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
