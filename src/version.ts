import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** orgbridge's package.json, once found: its folder and the fields read from it. */
let found: { readonly dir: string; readonly version: string } | undefined;

function findPackage(): { readonly dir: string; readonly version: string } {
  if (found !== undefined) return found;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
        version: string;
      };
      if (name === 'orgbridge') {
        found = { dir, version };
        return found;
      }
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of orgbridge above ${start}`);
  }
}

/**
 * The folder of orgbridge's package.json: the nearest one above this module that names
 * orgbridge. The sources (src/), the compiled modules (dist/) and the CLI bundle
 * (dist/cli-bundle/, where this module is one of esbuild's chunks) sit at different depths below
 * it, so a path relative to `import.meta.url` would be right in only some of them.
 */
export function packageRoot(): string {
  return findPackage().dir;
}

/** orgbridge's own version, from its package.json (read once with the root). */
export function packageVersion(): string {
  return findPackage().version;
}
