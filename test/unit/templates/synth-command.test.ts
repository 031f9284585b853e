import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { buildBundles, MAX_BUNDLE_BYTES } from '../../../src/templates/bundles.js';
import { specialAccountEntries, specialAccountNames } from '../../support/accounts-yaml.js';
import { cfnLint } from '../../support/cfn-lint.js';

const out = mkdtempSync(join(tmpdir(), 'orgbridge-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('orgbridge synth', () => {
  it('writes every template, a bundle under 1 MB per kind and a manifest, from the example config', {
    timeout: 60_000,
  }, async () => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', resolve('examples'), 'synth', '--out', out], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.templates.map((t: { name: string }) => t.name)).toContain('handlers-member');
    for (const t of manifest.templates) expect(existsSync(join(out, `${t.name}.template.json`))).toBe(true);
    // The bus is a stack set, and a plain stack in management, which service-managed stack sets skip.
    const bus = manifest.templates.find((t: { name: string }) => t.name === 'event-bus');
    expect(bus.placement.type).toBe('stack-set');
    expect(bus.stacks).toEqual([
      { accountKey: 'management', region: expect.any(String), stackName: bus.placement.stackName },
    ]);
    expect(io.stdout.join('\n')).toContain('every account (management: as a stack, which stack sets skip)');
    const zips = readdirSync(join(out, 'lambdas'));
    expect(zips).toHaveLength(7);
    for (const b of manifest.bundles) {
      expect(b.bytes, b.kind).toBeLessThan(MAX_BUNDLE_BYTES);
      expect(statSync(join(out, b.key)).size).toBeGreaterThan(0);
    }
    // The example's special accounts have no ids yet: synth says so instead of inventing silently.
    expect(io.stderr.join('\n')).toContain('placeholder ids');
    expect(io.stdout.at(-1)).toMatch(/^wrote \d+ templates and 7 bundles/);
  });

  it('writes templates fit for a real organization: no NotPrincipal, a DLQ on every rule target, one hop, ordered stack sets, cfn-lint clean', {
    timeout: 120_000,
  }, async () => {
    // Uses the output of the test above.
    const names = readdirSync(out).filter((f) => f.endsWith('.template.json'));
    const templates = names.map((name) => ({ name, body: readFileSync(join(out, name), 'utf8') }));
    expect(templates.length).toBeGreaterThan(10);
    type Resource = { Type: string; Properties: Record<string, unknown> };
    let targets = 0;
    for (const { name, body } of templates) {
      expect(body, name).not.toContain('NotPrincipal');
      const resources = JSON.parse(body).Resources as Record<string, Resource>;
      for (const [id, r] of Object.entries(resources)) {
        if (r.Type !== 'AWS::Events::Rule') continue;
        const ruleTargets = r.Properties.Targets as {
          Arn: unknown;
          DeadLetterConfig?: unknown;
          RetryPolicy?: unknown;
        }[];
        for (const t of ruleTargets) {
          targets++;
          expect(t.DeadLetterConfig, `${name} ${id}`).toBeDefined();
          expect(t.RetryPolicy, `${name} ${id}`).toBeDefined();
          // No received-event forward: a rule to another bus forwards what its account published.
          if (JSON.stringify(t.Arn).includes(':event-bus/'))
            expect(
              (r.Properties.EventPattern as { account?: unknown[] }).account,
              `${name} ${id}`,
            ).toHaveLength(1);
        }
      }
    }
    expect(targets).toBeGreaterThan(20);
    const sets = JSON.parse(readFileSync(join(out, 'stack-sets.template.json'), 'utf8')).Resources;
    expect(JSON.stringify(sets.MemberHandlersStackSet.Properties.AutoDeployment.DependsOn)).toContain(
      '"EventBusStackSet"',
    );
    const lint = await cfnLint({ templates });
    expect(lint.findings).toEqual([]);
  });

  it('refuses a config that breaks a guardrail: exit 1 with the rule id, nothing written', async () => {
    // The home region (where every bus and handler lives) is not among defaults.regions, so no
    // artifact bucket holds the handlers' code there: every account passes the DSL's checks,
    // but the deployment would fail on the first Lambda function.
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-guardrail-'));
    const target = join(dir, 'out');
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'accounts.yml'),
        `organization:
${specialAccountNames()}  root_ou: Internal
  morgue_ou: Morgue
  event_bus: orgbridge-bus
  email_template: 'aws+{name}@example.com'
defaults:
  region: eu-west-1
  regions: [us-east-1]
scopes:
  infra:
    organization_unit: Internal/Infra
    region: us-east-1
accounts:
${specialAccountEntries('infra')}`,
      );
      const io = memoryIo();
      const code = await main(['node', 'orgbridge', '-c', dir, 'synth', '--out', target], io);
      const stderr = io.stderr.join('\n');
      expect(code, stderr).toBe(1);
      expect(stderr).toContain('GUARDRAILS_FAILED');
      expect(stderr).toMatch(
        /OB-REF-1 error: handlers-\w+ HandlerFunction: the code bucket, bucket orgbridge-artifacts-\S+-eu-west-1/,
      );
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bundles an unchanged source tree once per process (cached by the content of every input)', async () => {
    const first = await buildBundles();
    const started = performance.now();
    const again = await buildBundles();
    expect(again).toBe(first);
    // Hashing the inputs again is far cheaper than esbuild (~0.7 s here).
    expect(performance.now() - started).toBeLessThan(500);
    expect(new Set(first.map((b) => b.key)).size).toBe(7);
  });
});
