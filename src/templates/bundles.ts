import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import type { AccountKind } from '../config/model.js';
import { lambdaBundleKey } from '../protocol/names.js';
import { ACCOUNT_KINDS } from '../protocol/routing.js';
import { packageRoot } from '../version.js';

/** Lambda reads at most 50 MB zipped; orgbridge holds itself to 1 MB per handler (cold starts). */
export const MAX_BUNDLE_BYTES = 1_048_576;

/**
 * `.ts` when run from src/ (tsx, tests); `.js` when run from the compiled dist/ or the CLI bundle,
 * which read the entries tsc compiled into dist/ (the package ships no sources).
 */
const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const srcRoot = join(packageRoot(), extension === 'ts' ? 'src' : 'dist');

/**
 * Some dependencies still `require()` (Node's modules, mostly); esbuild's ESM output has no
 * `require`, so each bundle (the Lambda handlers', the CLI's) starts by making one.
 */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __orgbridgeRequire}from'module';const require=__orgbridgeRequire(import.meta.url);";

/** One file of a bundle: `index.mjs` (the entry) or a chunk it imports. */
export interface BundleFile {
  /** Relative to the function's root (`index.mjs`, `chunk-<hash>.mjs`). */
  readonly path: string;
  readonly contents: Uint8Array;
}

export interface LambdaBundle {
  readonly kind: AccountKind;
  readonly entry: string;
  /**
   * The minified ESM modules: `index.mjs` first, then the chunks it imports dynamically (what
   * the first invocation loads) or statically (shared by both).
   */
  readonly files: readonly BundleFile[];
  /** Total bytes of the files. */
  readonly bytes: number;
  /** The files in a zip, what Lambda and the artifact buckets take. */
  readonly zip: Uint8Array;
  readonly sha256: string;
  readonly key: string;
  /**
   * The files esbuild put into this bundle with some of their code (absolute paths, from its
   * metafile): what a test checks for aws-cdk-lib or constructs, which must never reach a
   * handler, and for the handlers of other kinds.
   */
  readonly inputs: readonly string[];
  /**
   * The packages `index.mjs` and the chunks it imports statically import (their module
   * specifiers, from the metafile): what the import of the bundle loads besides its own code.
   * The AWS SDK must not be among them (src/aws/sdk.ts).
   */
  readonly staticImports: readonly string[];
  /** Bytes of index.mjs and the chunks it imports statically: the code its import loads. */
  readonly importedBytes: number;
}

/** The runtime's Lambda entry of a kind (src/runtime/lambda/<kind>.ts). */
function entryFor(kind: AccountKind): { path: string } {
  return { path: join(srcRoot, 'runtime', 'lambda', `${kind}.${extension}`) };
}

/**
 * What the last build read (every input file esbuild reported, with a hash of their contents) and
 * what it produced: a bootstrap bundles once per run, `orgbridge local` bootstraps twice and the
 * actions may run in one process, so an unchanged source tree is not bundled again.
 */
let lastBuild:
  | { readonly key: string; readonly inputs: readonly string[]; readonly bundles: LambdaBundle[] }
  | undefined;

/** sha256 over the paths and bytes of the files a build read; a missing file changes it too. */
function contentHash(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file).update('\0');
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('(missing)');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

type Metafile = import('esbuild').Metafile;

/** `output` and the chunks it imports statically (transitively): what an import of it loads. */
function staticOutputs(metafile: Metafile, output: string): Set<string> {
  const seen = new Set<string>([output]);
  const queue = [output];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (imported.kind !== 'import-statement' || imported.external || seen.has(imported.path)) continue;
      seen.add(imported.path);
      queue.push(imported.path);
    }
  }
  return seen;
}

/**
 * The packages `output` and every chunk it imports statically (transitively) import statically:
 * what an import of `output` loads besides the bundle's own code.
 */
export function staticPackageImports(metafile: Metafile, output: string): string[] {
  const external = new Set<string>();
  for (const path of staticOutputs(metafile, output))
    for (const imported of metafile.outputs[path]?.imports ?? [])
      if (imported.kind === 'import-statement' && imported.external) external.add(imported.path);
  return [...external].sort();
}

async function buildKind(e: {
  kind: AccountKind;
  path: string;
}): Promise<{ bundle: LambdaBundle; read: string[] }> {
  const { build } = await import('esbuild');
  // One esbuild run per kind, so no chunk is shared between kinds.
  const result = await build({
    entryPoints: { index: e.path },
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Dynamic imports (the kind's handlers, each SDK package) become chunks loaded when first
    // needed, so the import of index.mjs (the cold start) loads only the runtime itself.
    splitting: true,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outdir: 'out',
    outExtension: { '.js': '.mjs' },
    write: false,
    metafile: true,
    external: ['@aws-sdk/*', '@smithy/*'],
    legalComments: 'none',
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'silent',
  });
  const outputs = Object.keys(result.metafile.outputs);
  const index = outputs.find((path) => path.endsWith('/index.mjs') || path === 'out/index.mjs');
  if (!index) throw new Error(`esbuild produced no index.mjs for ${e.kind}`);
  const root = resolve('out');
  const files = result.outputFiles
    .filter((f) => f.path.endsWith('.mjs'))
    .map((f) => ({ path: relative(root, f.path).split(sep).join('/'), contents: f.contents }))
    .sort((a, b) =>
      a.path === 'index.mjs' ? -1 : b.path === 'index.mjs' ? 1 : a.path.localeCompare(b.path),
    );
  const zip = zipFiles(files);
  const sha256 = createHash('sha256').update(zip).digest('hex');
  const inputs = new Set<string>();
  for (const output of Object.values(result.metafile.outputs))
    for (const [path, use] of Object.entries(output.inputs)) if (use.bytesInOutput > 0) inputs.add(path);
  const bundle: LambdaBundle = {
    kind: e.kind,
    entry: e.path,
    files,
    bytes: files.reduce((n, f) => n + f.contents.byteLength, 0),
    zip,
    sha256,
    key: lambdaBundleKey(e.kind, sha256),
    inputs: metafilePaths([...inputs]),
    staticImports: staticPackageImports(result.metafile, index),
    importedBytes: [...staticOutputs(result.metafile, index)].reduce(
      (n, path) => n + (result.metafile.outputs[path]?.bytes ?? 0),
      0,
    ),
  };
  return { bundle, read: metafilePaths(Object.keys(result.metafile.inputs)) };
}

/**
 * esbuild bundles, minified ESM for Node 20+, one build per kind. The AWS SDK v3 is left out:
 * the Lambda Node.js runtimes ship it, and bundling it would multiply the size (and cold start)
 * of every handler. Cached in the process by the content of every input (see `lastBuild`).
 */
export async function buildBundles(kinds: readonly AccountKind[] = ACCOUNT_KINDS): Promise<LambdaBundle[]> {
  const entries = kinds.map((kind) => ({ kind, ...entryFor(kind) }));
  const request = JSON.stringify(entries);
  if (lastBuild && `${request}\0${contentHash(lastBuild.inputs)}` === lastBuild.key) return lastBuild.bundles;
  const built = await Promise.all(entries.map(buildKind));
  const bundles = built.map((b) => b.bundle);
  const inputs = [...new Set(built.flatMap((b) => b.read))].sort();
  lastBuild = { key: `${request}\0${contentHash(inputs)}`, inputs, bundles };
  return bundles;
}

/** Metafile paths are relative to the working directory esbuild ran in; `ns:` ones are virtual. */
function metafilePaths(paths: readonly string[]): string[] {
  return paths
    .filter((path) => !path.includes(':'))
    .map((path) => resolve(path))
    .sort();
}

/**
 * A zip archive of `files`, deflated. Written here (40 lines) rather than adding a dependency;
 * the timestamp is fixed so the same code always gives the same bytes (and the same S3 key).
 */
export function zipFiles(files: readonly BundleFile[]): Uint8Array {
  const dosTime = 0;
  const dosDate = ((2020 - 1980) << 9) | (1 << 5) | 1;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.path, 'utf8');
    const compressed = deflateRawSync(file.contents, { level: 9 });
    const crc = crc32(file.contents);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(file.contents.byteLength, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by unix, v3.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(file.contents.byteLength, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Kind -> S3 key, the templates' `bundleKeys` input. */
export function bundleKeys(bundles: readonly LambdaBundle[]): Partial<Record<AccountKind, string>> {
  return Object.fromEntries(bundles.map((b) => [b.kind, b.key]));
}
