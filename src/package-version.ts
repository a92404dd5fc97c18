/** The package's version (package.json), for the documents the service publishes. */
import { readFileSync } from 'node:fs';

/** `src/` (tsx, vitest) and `dist/` (built) are both one level below package.json. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
