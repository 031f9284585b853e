import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

/** A small src/ tree with one import of each kind the layer rule forbids, and some it allows. */
const TREE: Record<string, string> = {
  'src/errors.ts': 'export const e = 1;\n',
  'src/cli/io.ts': 'export const io = 1;\n',
  'src/config/load.ts': "import { io } from '../cli/io.js';\nexport const load = io;\n",
  'src/plan/accounts.ts':
    "import { S3Client } from '@aws-sdk/client-s3';\nimport { e } from '../errors.js';\nexport const plan = [S3Client, e];\n",
  'src/protocol/catalog.ts':
    "import { clients } from '../aws/clients.js';\nexport const catalog = clients;\n",
  'src/aws/clients.ts': "import { e } from '../errors.js';\nexport const clients = e;\n",
  'src/aws/context.ts': "import { plan } from '../plan/accounts.js';\nexport const context = plan;\n",
  'src/templates/synth.ts': "import { poll } from '../runtime/poller.js';\nexport const synth = poll;\n",
  'src/runtime/poller.ts':
    "import { clients } from '../aws/clients.js';\nimport { catalog } from '../protocol/catalog.js';\nexport const poll = [clients, catalog];\n",
  'src/handlers/ping.ts':
    "import { SQSClient } from '@aws-sdk/client-sqs';\nexport const ping = SQSClient;\n",
  'src/pipeline/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
  'src/pipeline/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
};

describe('the layer rule (.dependency-cruiser.cjs, run by npm test)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orgbridge-layers-'));
    for (const [path, text] of Object.entries(TREE)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
    );
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fails on every wrong import, naming each, and only those', async () => {
    const cli = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
    const config = join(ROOT, '.dependency-cruiser.cjs');
    // The command npm test runs (npm run lint:deps), in a tree with wrong imports.
    const failed = await run(process.execPath, [cli, 'src', '--config', config], { cwd: dir }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(failed?.code, 'depcruise exits non-zero, so npm test fails').toBeGreaterThan(0);
    const found = [...(failed?.stdout ?? '').matchAll(/^\s*error ([\w-]+): (\S+) →\s+(\S+)/gm)]
      .map(([, rule, from, to]) => `${rule}: ${from} -> ${to?.replace(/^.*node_modules\//, 'node_modules/')}`)
      .sort();
    expect(found).toEqual(
      [
        'layer-config: src/config/load.ts -> src/cli/io.ts',
        'nothing-imports-cli: src/config/load.ts -> src/cli/io.ts',
        'pure-without-sdk: src/plan/accounts.ts -> node_modules/@aws-sdk/client-s3/dist-es/index.js',
        'aws-for-shells-only: src/protocol/catalog.ts -> src/aws/clients.ts',
        'aws-at-the-bottom: src/aws/context.ts -> src/plan/accounts.ts',
        'renderers-without-shells: src/templates/synth.ts -> src/runtime/poller.ts',
        'no-circular: src/pipeline/a.ts -> src/pipeline/b.ts',
      ].sort(),
    );
  }, 60_000);
});
