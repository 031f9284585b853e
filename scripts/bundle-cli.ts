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
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = await bundleCli(process.argv[2]);
  process.stdout.write(
    `CLI bundle: ${bundle.files} files, ${(bundle.bytes / 1_048_576).toFixed(1)} MiB in ${bundle.outdir}\n`,
  );
}
