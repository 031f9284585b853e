import { describe, expect, it } from 'vitest';
import {
  artifactBucketName,
  POLICY_BUNDLE_EXPIRY_DAYS,
  policyBundleKey,
} from '../../../src/protocol/names.js';
import { homeRegionOf, templateInputs } from '../../../src/templates/inputs.js';
import { type RenderedTemplate, renderTemplates } from '../../../src/templates/synth.js';
import { accountId, BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

const config = syntheticConfig(3);
const templates = renderTemplates(
  templateInputs(config, { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS }),
);
const HOME = homeRegionOf(config);
const MANAGEMENT = accountId(1);
const CICD = accountId(2);

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};
const byName = (name: string): RenderedTemplate => {
  const t = templates.find((x) => x.name === name);
  if (!t) throw new Error(`no template ${name}`);
  return t;
};
const resources = (t: RenderedTemplate) =>
  Object.values(
    t.template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
  );
const roleStatements = (t: RenderedTemplate): Statement[] =>
  resources(t)
    .filter(
      (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === `orgbridge-${t.name.slice(9)}-handler`,
    )
    .flatMap((r) =>
      ((r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (p) => p.PolicyDocument.Statement,
      ),
    );
const bucketStatements = (t: RenderedTemplate): Statement[] =>
  resources(t)
    .filter((r) => r.Type === 'AWS::S3::BucketPolicy')
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

describe('who may read SCP bundles', () => {
  it('the management handler role alone may read policies/*, of the cicd bucket of its own region; S3 otherwise only templates/* and customizations/*', () => {
    // What each handler role may do in S3, as (action, resource) pairs: statements granting the
    // same actions under the same conditions are merged into one (mergedStatements), so the
    // grouping is not what counts.
    const sub = (path: string) => ({
      'Fn::Sub': [
        `arn:\${AWS::Partition}:s3:::orgbridge-artifacts-\${CicdAccountId}-${path}`,
        { CicdAccountId: CICD },
      ],
    });
    const templatesRead = ['s3:GetObject', sub('*/templates/*')];
    const customizationsRead = ['s3:GetObject', sub('*/customizations/*')];
    const s3Of = (kind: string) =>
      roleStatements(byName(`handlers-${kind}`))
        .filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')))
        .flatMap((s) => {
          expect(s.Effect).toBe('Allow');
          // Only of buckets the cicd account owns: bucket names are global.
          expect(s.Condition).toEqual({
            StringEquals: {
              'aws:ResourceAccount': { 'Fn::Sub': [`\${CicdAccountId}`, { CicdAccountId: CICD }] },
            },
          });
          return [s.Action].flat().flatMap((a) => [s.Resource].flat().map((r) => [a, r]));
        })
        .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    const sorted = (pairs: unknown[][]) =>
      [...pairs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    expect(s3Of('management')).toEqual(
      sorted([customizationsRead, templatesRead, ['s3:GetObject', sub(`\${AWS::Region}/policies/*`)]]),
    );
    // The stack handlers read the templates CloudFormation deploys (TemplateURL is read as the
    // caller) and the customization templates; nothing else of S3, and never the SCP bundles.
    for (const kind of ['cicd', 'identity', 'dns', 'logs', 'member']) {
      expect(s3Of(kind), kind).toEqual(sorted([customizationsRead, templatesRead]));
    }
  });

  it('the home bucket lets the management handler role read policies/ only; other regions and the organization do not', () => {
    const home = bucketStatements(byName(`artifacts-${HOME}`));
    const bucket = artifactBucketName(CICD, HOME);
    expect(home.find((s) => s.Sid === 'ManagementHandlerReadsScpBundles')).toEqual({
      Sid: 'ManagementHandlerReadsScpBundles',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket}/policies/*`,
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${MANAGEMENT}:role/orgbridge-management-handler` },
      },
    });
    // What the uploader writes is what the grant covers.
    expect(`arn:aws:s3:::${bucket}/${policyBundleKey('a'.repeat(64))}`).toMatch(/\/policies\/[^/]+$/);
    const organization = home.find((s) => s.Sid === 'OrganizationReadsArtifacts');
    expect(JSON.stringify(organization?.Resource)).not.toContain('/policies/');
    const other = templates.find((t) => t.name.startsWith('artifacts-') && t.name !== `artifacts-${HOME}`);
    expect(other).toBeDefined();
    expect(bucketStatements(other as RenderedTemplate).map((s) => s.Sid)).not.toContain(
      'ManagementHandlerReadsScpBundles',
    );
  });

  it('expires SCP bundles after 30 days in every artifact bucket, and nothing else under that rule', () => {
    const artifacts = templates.filter((t) => t.name.startsWith('artifacts-'));
    expect(artifacts.length).toBeGreaterThan(1);
    for (const t of artifacts) {
      const bucket = resources(t).find((r) => r.Type === 'AWS::S3::Bucket');
      const rules = (bucket?.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
      expect(
        rules.find((r) => r.Id === 'expire-scp-bundles'),
        t.name,
      ).toEqual({
        Id: 'expire-scp-bundles',
        Status: 'Enabled',
        Prefix: 'policies/',
        ExpirationInDays: 30,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      });
      // Templates and Lambda bundles are not expired: stack sets create functions from them.
      expect(rules.filter((r) => r.ExpirationInDays !== undefined)).toHaveLength(1);
    }
    expect(POLICY_BUNDLE_EXPIRY_DAYS).toBe(30);
    expect(policyBundleKey('a'.repeat(64)).startsWith('policies/')).toBe(true);
  });
});
