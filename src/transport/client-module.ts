/**
 * The browser build of `intent-projector/client` (src/client/index.ts), served at
 * `GET /client/intent-client.js` so that pages load it from the service like the Socket.IO client
 * (public/index.html maps `socket.io-client` to Socket.IO's own ESM bundle with an import map).
 * From `dist/` it is the compiled module; from a checkout run by tsx or vitest it is the source,
 * transpiled once by TypeScript (a devDependency there).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const CLIENT_MODULE_PATH = '/client/intent-client.js';

let source: Promise<string> | undefined;

export function clientModule(): Promise<string> {
  source ??= load();
  return source;
}

async function load(): Promise<string> {
  const built = fileURLToPath(new URL('../client/index.js', import.meta.url));
  if (existsSync(built)) return readFile(built, 'utf8');
  const ts = (await import('typescript')).default;
  const text = await readFile(fileURLToPath(new URL('../client/index.ts', import.meta.url)), 'utf8');
  return ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
}
