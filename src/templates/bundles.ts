import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import type { AccountKind } from '../config/model.js';
import { lambdaBundleKey } from '../protocol/names.js';
import { ACCOUNT_KINDS } from '../protocol/routing.js';

/** Lambda reads at most 50 MB zipped; orgbridge holds itself to 1 MB per handler (cold starts). */
export const MAX_BUNDLE_BYTES = 1_048_576;

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = resolve(here, '..');
/** `.ts` when run from src/ (tsx, tests), `.js` when run from the compiled dist/ (the CLI). */
const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

export interface LambdaBundle {
  readonly kind: AccountKind;
  readonly entry: string;
  /** The minified ESM module (index.mjs). */
  readonly code: Uint8Array;
  /** index.mjs in a zip, what Lambda and the artifact buckets take. */
  readonly zip: Uint8Array;
  readonly sha256: string;
  readonly key: string;
  /** The entry is the stand-in of src/templates/entries (the runtime's own entry is missing). */
  readonly placeholder: boolean;
  /**
   * The files esbuild put into this bundle (absolute paths, from its metafile): what a test
   * checks for aws-cdk-lib or constructs, which must never reach a handler.
   */
  readonly inputs: readonly string[];
}

/** The runtime's entry for a kind when it exists, else the stand-in next to this file. */
export function entryFor(kind: AccountKind): { path: string; placeholder: boolean } {
  const runtime = join(srcRoot, 'runtime', 'lambda', `${kind}.${extension}`);
  if (existsSync(runtime)) return { path: runtime, placeholder: false };
  return { path: join(here, 'entries', `${kind}.${extension}`), placeholder: true };
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

/**
 * esbuild bundles, minified ESM for Node 20+. The AWS SDK v3 is left out: the Lambda Node.js
 * runtimes ship it, and bundling it would multiply the size (and cold start) of every handler.
 * Cached in the process by the content of every input (see `lastBuild`).
 */
export async function buildBundles(kinds: readonly AccountKind[] = ACCOUNT_KINDS): Promise<LambdaBundle[]> {
  const entries = kinds.map((kind) => ({ kind, ...entryFor(kind) }));
  const request = JSON.stringify(entries);
  if (lastBuild && `${request}\0${contentHash(lastBuild.inputs)}` === lastBuild.key) return lastBuild.bundles;
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: Object.fromEntries(entries.map((e) => [e.kind, e.path])),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outdir: 'out',
    outExtension: { '.js': '.mjs' },
    write: false,
    metafile: true,
    external: ['@aws-sdk/*', '@smithy/*'],
    legalComments: 'none',
    // Some dependencies still `require()`; give ESM output a require that works in Lambda.
    banner: {
      js: "import{createRequire as __orgbridgeRequire}from'module';const require=__orgbridgeRequire(import.meta.url);",
    },
    logLevel: 'silent',
  });
  const bundles = entries.map((e): LambdaBundle => {
    const file = result.outputFiles.find((f) => f.path.endsWith(`/${e.kind}.mjs`));
    if (!file) throw new Error(`esbuild produced no bundle for ${e.kind}`);
    const output = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith(`/${e.kind}.mjs`));
    if (!output) throw new Error(`esbuild's metafile lists no bundle for ${e.kind}`);
    const zip = zipSingleFile('index.mjs', file.contents);
    const sha256 = createHash('sha256').update(file.contents).digest('hex');
    return {
      kind: e.kind,
      entry: e.path,
      code: file.contents,
      zip,
      sha256,
      key: lambdaBundleKey(e.kind, sha256),
      placeholder: e.placeholder,
      inputs: metafilePaths(Object.keys(output[1].inputs)),
    };
  });
  const inputs = metafilePaths(Object.keys(result.metafile.inputs));
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
 * A zip archive of one file, deflated. Written here (30 lines) rather than adding a dependency;
 * the timestamp is fixed so the same code always gives the same bytes (and the same S3 key).
 */
export function zipSingleFile(name: string, data: Uint8Array): Uint8Array {
  const nameBytes = Buffer.from(name, 'utf8');
  const compressed = deflateRawSync(data, { level: 9 });
  const crc = crc32(data);
  const dosTime = 0;
  const dosDate = ((2020 - 1980) << 9) | (1 << 5) | 1;
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x0800, 6); // UTF-8 names
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt16LE(dosTime, 10);
  local.writeUInt16LE(dosDate, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
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
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
  central.writeUInt32LE(0, 42);
  const centralOffset = local.length + nameBytes.length + compressed.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBytes, compressed, central, nameBytes, end]);
}

/** Kind -> S3 key, the templates' `bundleKeys` input. */
export function bundleKeys(bundles: readonly LambdaBundle[]): Partial<Record<AccountKind, string>> {
  return Object.fromEntries(bundles.map((b) => [b.kind, b.key]));
}
