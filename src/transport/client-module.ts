/**
 * The browser build of `intent-projector/client` (src/client/), served at
 * `GET /client/intent-client.js` (src/client/index.ts) and its sibling modules
 * (`GET /client/filter.js`, `pacer.js`, `position.js`, `route.js`), so that pages load it from the service
 * like the Socket.IO client (public/index.html maps `socket.io-client` to Socket.IO's own ESM
 * bundle with an import map). From `dist/` they are the compiled modules; from a checkout run by
 * tsx or vitest they are the sources, transpiled once by TypeScript (a devDependency there).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const CLIENT_MODULE_PATH = '/client/intent-client.js';

/** URL path → module of src/client (the client's runtime imports; types.ts is erased). */
export const CLIENT_MODULES: Readonly<Record<string, string>> = {
  [CLIENT_MODULE_PATH]: 'index',
  '/client/filter.js': 'filter',
  '/client/pacer.js': 'pacer',
  '/client/position.js': 'position',
  '/client/route.js': 'route',
};

const sources = new Map<string, Promise<string>>();

export function clientModule(name = 'index'): Promise<string> {
  let source = sources.get(name);
  if (source === undefined) sources.set(name, (source = load(name)));
  return source;
}

async function load(name: string): Promise<string> {
  const built = fileURLToPath(new URL(`../client/${name}.js`, import.meta.url));
  if (existsSync(built)) return readFile(built, 'utf8');
  const ts = (await import('typescript')).default;
  const text = await readFile(fileURLToPath(new URL(`../client/${name}.ts`, import.meta.url)), 'utf8');
  return ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}
