#!/usr/bin/env node
// A tiny static file server for build/site (no dependencies): correct MIME
// types (application/wasm for streaming compilation), gzip when the client
// accepts it, ETags, CORS for the embeddable widget, and an optional sub-path
// so the site can be tried the way a GitHub Pages project site serves it.
//
//   node scripts/serve.mjs [--root build/site] [--port 8080] [--host 127.0.0.1] [--base /ftconfig/]
//
// Also a module: startServer({root, port, host, base, log}) -> {url, server, close()}
// (the browser tests and the benchmark use it).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.svg', '.txt', '.md', '.webmanifest']);

function normalizeBase(base) {
  let b = base || '/';
  if (!b.startsWith('/')) b = `/${b}`;
  if (!b.endsWith('/')) b = `${b}/`;
  return b;
}

export function startServer({ root, port = 0, host = '127.0.0.1', base = '/', quiet = true, log = null } = {}) {
  const siteRoot = path.resolve(root);
  const prefix = normalizeBase(base);
  const gzipCache = new Map(); // path -> {mtimeMs, body}

  const server = http.createServer((req, res) => {
    if (log) {
      // Bytes of each response body as sent (compressed or not), for scripts/bench-web.mjs.
      const at = performance.now();
      const end = res.end.bind(res);
      res.end = (body, ...rest) => {
        log.push({ url: req.url, status: res.statusCode, bytes: body && typeof body !== 'function' ? Buffer.byteLength(body) : 0, at });
        return end(body, ...rest);
      };
    }
    const url = new URL(req.url, 'http://localhost');
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (prefix !== '/' && (pathname === prefix.slice(0, -1) || pathname === '/')) {
      res.writeHead(302, { Location: prefix + url.search }).end();
      return;
    }
    if (!pathname.startsWith(prefix)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    let rel = pathname.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(siteRoot, rel);
    if (file !== siteRoot && !file.startsWith(siteRoot + path.sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    let stat;
    try {
      stat = fs.statSync(file);
      if (stat.isDirectory()) {
        res.writeHead(302, { Location: `${pathname}/${url.search}` }).end();
        return;
      }
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const ext = path.extname(file).toLowerCase();
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const headers = {
      'Content-Type': MIME[ext] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
      ETag: etag,
      'Access-Control-Allow-Origin': '*',
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept-Encoding',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    let body = fs.readFileSync(file);
    if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(req.headers['accept-encoding'] || '')) {
      const cached = gzipCache.get(file);
      if (cached && cached.mtimeMs === stat.mtimeMs) body = cached.body;
      else {
        body = zlib.gzipSync(body, { level: 9 });
        gzipCache.set(file, { mtimeMs: stat.mtimeMs, body });
      }
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else res.end(body);
    if (!quiet) console.log(`${req.method} ${pathname} ${body.length}`);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        url: `http://${shownHost}:${actual}${prefix}`,
        close: () => new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
  };
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const root = opt('--root', path.join(repo, 'build', 'site'));
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    console.error(`serve: ${root}/index.html is missing: run \`npm run build\` first`);
    process.exit(1);
  }
  const port = Number(opt('--port', process.env.PORT || 8080));
  const host = opt('--host', '127.0.0.1');
  const base = opt('--base', '/');
  startServer({ root, port, host, base, quiet: !args.includes('--verbose') }).then(
    ({ url }) => {
      console.log(`ftconfig site: ${url}`);
      console.log(`widget demo:   ${url}examples/docs-page.html`);
      console.log('(Ctrl-C to stop)');
    },
    (e) => {
      if (e.code === 'EADDRINUSE' && !args.includes('--port')) {
        startServer({ root, port: 0, host, base }).then(({ url }) => {
          console.log(`ftconfig site: ${url}  (port ${port} was busy)`);
          console.log(`widget demo:   ${url}examples/docs-page.html`);
        });
      } else {
        console.error(`serve: ${e.message}`);
        process.exit(1);
      }
    });
}
