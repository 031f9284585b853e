import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AccountKind } from '../../../src/config/model.js';
import type { RequestType } from '../../../src/protocol/catalog.js';
import { handledRequestTypes } from '../../../src/protocol/routing.js';
import { lambdaRegistry } from '../../../src/runtime/lambda/registries.js';
import {
  buildBundles,
  type LambdaBundle,
  MAX_BUNDLE_BYTES,
  staticPackageImports,
} from '../../../src/templates/bundles.js';
import { LAMBDA_SPECIAL_ACCOUNTS } from '../../support/lambda-records.js';

/** Files esbuild took from a package, as `node_modules/<package>/...` (npm and pnpm layouts). */
const fromPackage = (inputs: readonly string[], name: string) =>
  inputs.filter((path) => path.split(sep).join('/').includes(`/node_modules/${name}/`));

const sourcesOf = (bundle: LambdaBundle) =>
  bundle.inputs.map((path) => relative(process.cwd(), path).split(sep).join('/'));

/**
 * The handler modules and the request types each serves: a kind's bundle holds a module's code
 * exactly when the kind handles one of its types.
 */
const HANDLER_MODULES: Readonly<Record<string, readonly RequestType[]>> = {
  'src/handlers/ping.ts': ['PING'],
  'src/handlers/provisioning/put-ssm-parameters.ts': ['PUT_SSM_PARAMETERS'],
  'src/handlers/provisioning/create-vpc.ts': ['CREATE_VPC'],
  'src/handlers/provisioning/default-vault.ts': ['UPDATE_ACCOUNT_BASELINE'],
  'src/handlers/provisioning/stack-instance-status.ts': ['STACK_INSTANCE_STATUS'],
  'src/handlers/accounts/register.ts': [
    'LIST_ACCOUNTS',
    'CREATE_ACCOUNT',
    'MOVE_ACCOUNT',
    'TAG_ACCOUNT',
    'RETIRE_ACCOUNT',
    'ENSURE_ORGANIZATIONAL_UNIT',
  ],
  'src/handlers/accounts/observe.ts': ['LIST_ACCOUNTS'],
  'src/handlers/policies/sync.ts': ['SYNC_SCPS'],
  'src/handlers/dns/records.ts': ['DNS_CREATE_ALIAS', 'DNS_CREATE_VALIDATION_RECORD', 'ENSURE_ACCOUNT_ZONE'],
  'src/handlers/dns/authorize.ts': ['DNS_CREATE_ALIAS', 'DNS_CREATE_VALIDATION_RECORD'],
  'src/handlers/dns/account-zone.ts': ['ENSURE_ACCOUNT_ZONE'],
};

/** Reads back the entries of a zip made by zipFiles (local headers, deflated). */
function unzip(zip: Uint8Array): Map<string, Buffer> {
  const buf = Buffer.from(zip);
  const files = new Map<string, Buffer>();
  for (let at = 0; buf.readUInt32LE(at) === 0x04034b50; ) {
    const size = buf.readUInt32LE(at + 18);
    const nameLength = buf.readUInt16LE(at + 26);
    const extra = buf.readUInt16LE(at + 28);
    const name = buf.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength + extra;
    files.set(name, inflateRawSync(buf.subarray(start, start + size)));
    at = start + size;
  }
  return files;
}

const ENV = {
  ORGBRIDGE_EVENT_SOURCE: 'app.infra',
  ORGBRIDGE_PUBLISH_BUS: 'orgbridge',
  ORGBRIDGE_IDEMPOTENCY_TABLE: 'orgbridge-idempotency',
  ORGBRIDGE_CONSUMED_QUEUES: JSON.stringify({ 'orgbridge-handler': 5401 }),
  ORGBRIDGE_ROOT_OU: 'Internal',
  ORGBRIDGE_MORGUE_OU: 'Morgue',
  ORGBRIDGE_SPECIAL_ACCOUNTS: JSON.stringify(LAMBDA_SPECIAL_ACCOUNTS),
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
};

/**
 * Imports a bundle's index.mjs in a fresh Node process and invokes its handler with a record from
 * another source: the first invocation builds the runtime (loading its chunks, the kind's
 * handlers and Powertools' DynamoDB layer) and refuses the record before any AWS call.
 */
function invokeBundle(
  dir: string,
  kind: AccountKind,
): { status: number | null; stdout: string; stderr: string } {
  const event = {
    Records: [
      {
        messageId: 'm-1',
        receiptHandle: 'r',
        body: JSON.stringify({ id: 'e-1', source: 'evil.source', 'detail-type': 'PING', detail: {} }),
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        // No queue of the function: refused before any AWS call (src/runtime/lambda/provenance.ts).
        eventSourceARN: 'arn:aws:sqs:eu-west-1:999999999999:not-a-queue-of-the-function',
        awsRegion: 'eu-west-1',
      },
    ],
  };
  const context = `{invokedFunctionArn:'arn:aws:lambda:eu-west-1:999999999999:function:orgbridge-${kind}-handler',getRemainingTimeInMillis:()=>60000}`;
  const script = `const m=await import('./index.mjs');const out=await m.handler(${JSON.stringify(event)},${context});process.stdout.write('\\nRESULT '+JSON.stringify(out)+'\\n');`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...ENV, ORGBRIDGE_ACCOUNT_KIND: kind, POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The handler's answer: the function also writes its metrics (EMF JSON lines) to stdout. */
function resultOf(stdout: string): unknown {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result in: ${stdout}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('Lambda bundles', () => {
  it('carry no CDK, stay under 1 MiB, and handle every type the routing table gives their kind', {
    timeout: 120_000,
  }, async () => {
    const bundles = await buildBundles();
    expect(bundles.map((b) => b.kind).sort()).toEqual(
      ['audit', 'cicd', 'dns', 'identity', 'logs', 'management', 'member'].sort(),
    );
    for (const bundle of bundles) {
      // aws-cdk-lib is CommonJS, ~40 MB and not tree-shakeable: one import of it anywhere
      // below the registries would make every bundle tens of MB.
      expect(fromPackage(bundle.inputs, 'aws-cdk-lib'), bundle.kind).toEqual([]);
      expect(fromPackage(bundle.inputs, 'constructs'), bundle.kind).toEqual([]);
      // The SDK comes from the Lambda runtime, never from the bundle.
      expect(fromPackage(bundle.inputs, '@aws-sdk'), bundle.kind).toEqual([]);
      expect(bundle.bytes, bundle.kind).toBeLessThan(MAX_BUNDLE_BYTES);
      expect(bundle.zip.byteLength, bundle.kind).toBeLessThan(MAX_BUNDLE_BYTES);
      const sources = sourcesOf(bundle);
      expect(sources, bundle.kind).not.toContain('src/templates/provisioning.ts');
      expect(sources, bundle.kind).not.toContain('src/templates/vpc.ts');
    }
    // What each bundle's entry registers: no routed type answered HANDLER_MISSING.
    for (const bundle of bundles) {
      const registry = lambdaRegistry(bundle.kind, { accounts: { rootOu: 'Internal', morgueOu: 'Morgue' } });
      const missing = handledRequestTypes(bundle.kind).filter((type) => !Object.hasOwn(registry, type));
      expect(missing, bundle.kind).toEqual([]);
    }
  });

  it("hold only their kind's handlers", { timeout: 120_000 }, async () => {
    for (const bundle of await buildBundles()) {
      const sources = sourcesOf(bundle);
      const handled = new Set<string>(handledRequestTypes(bundle.kind));
      for (const [module, types] of Object.entries(HANDLER_MODULES)) {
        const expected = types.some((t) => handled.has(t));
        expect(sources.includes(module), `${bundle.kind}: ${module}`).toBe(expected);
      }
    }
  });

  it('load no AWS SDK package when imported: index.mjs and its static chunks import none', {
    timeout: 120_000,
  }, async () => {
    for (const bundle of await buildBundles()) {
      expect(bundle.files[0]?.path, bundle.kind).toBe('index.mjs');
      const packages = bundle.staticImports.filter((p) => !p.startsWith('node:'));
      // Powertools is bundled; only the SDK (external) could show up here, and must not.
      expect(packages, bundle.kind).toEqual([]);
    }
  });

  it('zip every file, and run from the zip: import, then a first invocation', {
    timeout: 180_000,
  }, async () => {
    const bundles = await buildBundles();
    // Inside the project, so the SDK (external) resolves from node_modules as from the runtime's.
    const cache = join(process.cwd(), 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const root = mkdtempSync(join(cache, 'orgbridge-bundles-test-'));
    try {
      for (const bundle of bundles) {
        const zipped = unzip(bundle.zip);
        expect([...zipped.keys()].sort(), bundle.kind).toEqual(bundle.files.map((f) => f.path).sort());
        const dir = join(root, bundle.kind);
        for (const [path, contents] of zipped) {
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), contents);
        }
        const run = invokeBundle(dir, bundle.kind);
        expect(run.status, `${bundle.kind}: ${run.stderr}`).toBe(0);
        expect(resultOf(run.stdout), bundle.kind).toEqual({ batchItemFailures: [] });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('would notice a CDK input or a static SDK import', () => {
    const inputs = ['/x/node_modules/aws-cdk-lib/core/lib/stack.js', '/x/node_modules/zod/index.js'];
    expect(fromPackage(inputs, 'aws-cdk-lib')).toHaveLength(1);
    expect(fromPackage(inputs, 'constructs')).toEqual([]);
    const output = (
      imports: { path: string; kind: 'import-statement' | 'dynamic-import'; external?: boolean }[],
    ) => ({
      imports,
      exports: [],
      inputs: {},
      bytes: 0,
    });
    const metafile = {
      inputs: {},
      outputs: {
        'out/index.mjs': output([
          { path: 'out/chunk-A.mjs', kind: 'import-statement' },
          { path: '@aws-sdk/client-s3', kind: 'dynamic-import', external: true },
          { path: 'out/chunk-B.mjs', kind: 'dynamic-import' },
        ]),
        'out/chunk-A.mjs': output([
          { path: '@aws-sdk/client-sqs', kind: 'import-statement', external: true },
        ]),
        'out/chunk-B.mjs': output([
          { path: '@aws-sdk/client-ec2', kind: 'import-statement', external: true },
        ]),
      },
    };
    expect(staticPackageImports(metafile, 'out/index.mjs')).toEqual(['@aws-sdk/client-sqs']);
  });
});
