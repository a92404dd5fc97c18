/**
 * Static files of the dashboard, served from the package's `public/` directory (contract.md
 * section 6, `GET /`). Paths are resolved inside the root only: `..`, encoded separators and
 * NUL bytes never reach outside it.
 */
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `public/` of the package, from `src/transport/` (tsx, vitest) or `dist/transport/` (built). */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/**
 * Browser libraries of our npm dependencies, served from node_modules under `/vendor/<name>/`
 * (the dashboard loads nothing from other hosts): URL prefix → directory.
 */
export const VENDOR_DIRS: Readonly<Record<string, string>> = {
  '/vendor/uplot/': path.join(path.dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist'),
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a URL path (`/`, `/app.js`, `/css/x.css`) to a file inside `root`, or null when the
 * path is not a plain relative path. `/` and directory paths map to their `index.html`.
 */
export function resolveStatic(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const full = path.resolve(root, `.${path.posix.normalize(relative)}`);
  const base = path.resolve(root);
  if (full !== base && !full.startsWith(base + path.sep)) return null;
  return full;
}

/** Streams the file when it exists; resolves false (nothing written) when it does not. */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse, head: boolean): Promise<boolean> {
  const file = resolveStatic(root, urlPath);
  if (file === null) return false;
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    size = s.size;
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': contentType(file),
    'content-length': size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (head) {
    res.end();
    return true;
  }
  // pipeline closes the file when the client goes away mid-response
  await pipeline(createReadStream(file), res).catch(() => res.destroy());
  return true;
}
