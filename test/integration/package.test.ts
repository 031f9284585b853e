import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeOrganization } from '../../src/handlers/accounts/observe.js';
import { organizationsPort } from '../../src/handlers/accounts/ports.js';
import { createOrganization, useMoto } from '../support/moto.js';

/**
 * orgbridge as a user installs it: `npm pack` (which builds dist/ through `prepare`), then
 * `npm install --global` of the tarball into a prefix of its own, then the installed `orgbridge`
 * run from a directory that is not the checkout. npm fills the dependencies from its cache where
 * it can (`--prefer-offline`); the registry is asked for the rest.
 */
describe('the packed CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'orgbridge-pack-'));
  const prefix = join(root, 'prefix');
  const work = join(root, 'work');
  const bin = join(prefix, 'bin', 'orgbridge');
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

  const npm = (args: string[], cwd: string) => {
    const run = spawnSync('npm', args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, npm_config_fund: 'false' },
    });
    if (run.status !== 0) throw new Error(`npm ${args.join(' ')}: ${run.stderr}`);
    return run.stdout;
  };
  const orgbridge = (...args: string[]) =>
    spawnSync(bin, args, { cwd: work, encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: '' } });
  const moto = useMoto();

  beforeAll(() => {
    npm(['pack', '--pack-destination', root], resolve('.'));
    const tarball = readdirSync(root).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no tarball into ${root}`);
    npm(
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', join(root, tarball)],
      root,
    );
    cpSync('examples', work, { recursive: true });
  }, 240_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('holds the compiled CLI and the docs, not the sources or the tests', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'orgbridge');
    // bin/orgbridge.js runs the bundle; dist/ keeps the modules the Lambda handlers are bundled from.
    expect(existsSync(join(installed, 'dist', 'cli-bundle', 'main.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'runtime', 'lambda', 'member.js'))).toBe(true);
    expect(existsSync(join(installed, 'docs', 'dsl.md'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'test'))).toBe(false);
  });

  it('runs from any directory: --version, validate of the current directory, synth with its bundles', () => {
    const v = orgbridge('--version');
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(version);

    const valid = orgbridge('validate');
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stdout).toMatch(/^\.: valid \(\d+ accounts/);

    // The Lambda bundles are built by esbuild from the installed dist/, offline.
    const synth = orgbridge('synth', '-o', 'out');
    expect(synth.status, synth.stderr).toBe(0);
    const bundles = readdirSync(join(work, 'out', 'lambdas')).filter((f) => f.endsWith('.zip'));
    expect(bundles.map((f) => f.replace(/-[0-9a-f]+\.zip$/, '')).sort()).toEqual(
      ['audit', 'cicd', 'dns', 'identity', 'logs', 'management', 'member'].sort(),
    );
  });

  it('calls AWS through the SDK in the bundle: a sync creates the example accounts, then nothing is left to do', async () => {
    await createOrganization(moto().management);
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: moto().server.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      ORGBRIDGE_ACCOUNTS_GATEWAY: 'direct',
    };
    const run = (...args: string[]) => spawnSync(bin, args, { cwd: work, encoding: 'utf8', env });
    const sync = run('run', '--action', 'sync-accounts', '--execute');
    expect(sync.status, sync.stderr).toBe(0);
    const org = await observeOrganization(organizationsPort(moto().management.organizations()));
    expect(org.accounts.length).toBeGreaterThan(50);
    const again = run('plan', '--only', 'accounts');
    expect(again.status, again.stderr).toBe(0);
  }, 120_000);

  it('refuses a directory without accounts.yml, naming it, from the installed CLI', () => {
    const bad = orgbridge('-c', join(work, 'nowhere'), 'validate');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('nowhere');
  });
});
