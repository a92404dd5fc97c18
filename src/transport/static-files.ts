/**
 * Where the static files come from (served by @fastify/static, http-app.ts): the dashboard in the
 * package's `public/` directory (docs/contract.md § HTTP, `GET /`), and browser builds of our npm
 * dependencies.
 */
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
