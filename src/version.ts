import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder of orgbridge's package.json: the nearest one above this module that names
 * orgbridge. The sources (src/), the compiled modules (dist/) and the CLI bundle
 * (dist/cli-bundle/, where this module is one of esbuild's chunks) sit at different depths below
 * it, so a path relative to `import.meta.url` would be right in only some of them.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'orgbridge'
    ) {
      root = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json of orgbridge above ${start}`);
  }
}

/** orgbridge's own version, from its package.json. */
export function packageVersion(): string {
  const text = readFileSync(join(packageRoot(), 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
