/**
 * Bundles the CLI for bin/orgbridge.js (part of `npm run build`, after tsc):
 *
 *   npx tsx scripts/bundle-cli.ts [outdir]      (default dist/cli-bundle)
 *
 * A command is a short-lived process, and its start is mostly loading code: as separate files
 * a sync loads some 300 modules (orgbridge's, zod's, yaml's, the AWS SDK's), each resolved,
 * read and compiled on its own, and Node 20 keeps no compiled code between runs (Node 22 does,
 * see bin/orgbridge.js). esbuild puts them into a few large files instead, with every dynamic
 * import (an action, an SDK client) in a chunk of its own that loads when first needed, as the
 * Lambda bundles do (src/templates/bundles.ts). docs/performance.md has the measurements.
 *
 * Left out: aws-cdk-lib and constructs (loaded by `synth` only, and large), esbuild (a native
 * binary the CLI runs to bundle the Lambda handlers). The compiled dist/ stays: the Lambda
 * handlers are bundled from it, and tests and tools import its modules.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../src/templates/bundles.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CliBundle {
  readonly outdir: string;
  readonly files: number;
  readonly bytes: number;
}

export async function bundleCli(outdir = join(ROOT, 'dist', 'cli-bundle')): Promise<CliBundle> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    // bin/orgbridge.js imports warnings.js first: it must run before any SDK module loads.
    entryPoints: { main: 'src/cli/main.ts', warnings: 'src/cli/warnings.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunk-[hash]',
    // ES module builds first: the SDK's dist-es lets esbuild drop what orgbridge never calls.
    mainFields: ['module', 'main'],
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'esbuild'],
    // Names stay, so a stack trace reads without the source maps (`--debug` turns those on).
    minifySyntax: true,
    minifyWhitespace: true,
    sourcemap: 'linked',
    // commander and some SDK packages still `require()` Node's modules.
    banner: { js: ESM_REQUIRE_BANNER },
    // node:http, whose ES module view loads undici (see builtinsByRequire).
    plugins: [builtinsByRequire(['http'])],
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.js'));
  return {
    outdir,
    files: outputs.length,
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
  };
}

/**
 * Takes the given Node modules with `require()` (the banner's) instead of `import`. An `import` of
 * a Node module builds an ES module view of it that reads every export, getters included
 * (https://nodejs.org/api/esm.html#builtin-modules: the view is built from `module.exports`):
 * `node:http`'s `WebSocket`, `CloseEvent` and `MessageEvent` getters load undici, so on Node 22
 * the AWS SDK's `import("node:http")` alone costs about 30 ms of a command's start, where
 * `require('node:http')` costs 6 ms. Each listed module becomes a small module that requires it
 * and re-exports its plain values; a getter is exported only when listed in `getters`, and one
 * that is imported by name without being listed fails the build (esbuild: no matching export)
 * rather than loading silently. Modules without costly getters stay imports: for them the view
 * costs nothing more than the re-exports would.
 */
export function builtinsByRequire(
  modules: readonly string[],
  getters: Readonly<Record<string, readonly string[]>> = {},
): Plugin {
  const listed = new Set(modules.flatMap((name) => [name, `node:${name}`]));
  const nodeRequire = createRequire(import.meta.url);
  const identifier = /^[A-Za-z_$][\w$]*$/;
  return {
    name: 'builtins-by-require',
    setup(b) {
      b.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (args) =>
        listed.has(args.path) && (args.kind === 'import-statement' || args.kind === 'dynamic-import')
          ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-by-require' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, ({ path }) => {
        const exported = nodeRequire(`node:${path}`) as object;
        const plain = Object.entries(Object.getOwnPropertyDescriptors(exported))
          .filter(([name, d]) => !d.get && name !== 'default' && identifier.test(name))
          .map(([name]) => name);
        const names = [...plain, ...(getters[path] ?? [])];
        const contents = [
          `const m = require(${JSON.stringify(`node:${path}`)});`,
          'export default m;',
          ...names.map((name) => `export const ${name} = m.${name};`),
        ].join('\n');
        return { contents, loader: 'js' };
      });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = await bundleCli(process.argv[2]);
  process.stdout.write(
    `CLI bundle: ${bundle.files} files, ${(bundle.bytes / 1_048_576).toFixed(1)} MiB in ${bundle.outdir}\n`,
  );
}
