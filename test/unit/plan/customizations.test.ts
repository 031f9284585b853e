import { describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/model.js';
import {
  applyOrder,
  customizationStackTags,
  customizationsSection,
  customizationTemplateKey,
  type ObservedCustomizationStack,
  planCustomizations,
} from '../../../src/plan/customizations.js';
import { resolveOk, withAccounts } from '../config/support.js';

const ACCOUNTS = withAccounts(`  foo:
    scope: dev
    service: payments
  bar:
    scope: dev
`);
const TEMPLATE = `Parameters:
  Service: { Type: String }
Resources:
  P: { Type: AWS::SSM::Parameter, Properties: { Type: String, Value: !Ref Service } }
`;
const ROLE_TEMPLATE =
  'Resources:\n  R: { Type: AWS::IAM::Role, Properties: { AssumeRolePolicyDocument: {} } }\n';

function config(ssmTemplate = TEMPLATE, roleExtra = ''): ResolvedConfig {
  return resolveOk(ACCOUNTS, [
    {
      path: 'stacks/ssm/stack.yml',
      text: "targets: { scopes: [dev] }\nparameters: { Service: '{service}' }\n",
    },
    { path: 'stacks/ssm/template.yml', text: ssmTemplate },
    { path: 'stacks/role/stack.yml', text: `targets: { accounts: [foo] }\ndepends_on: [ssm]\n${roleExtra}` },
    { path: 'stacks/role/template.yml', text: ROLE_TEMPLATE },
  ]);
}

/** What CloudFormation would report after applying `c`. */
function deployed(c: ResolvedConfig): ObservedCustomizationStack[] {
  return planCustomizations({
    customizations: c.customizations ?? [],
    accounts: c.accounts,
    observed: [],
  }).map((d) => ({
    customization: d.customization,
    stack_name: d.stack_name,
    account: d.account,
    region: d.region,
    parameters: d.parameters,
    template_sha256: customizationTemplateKey(
      (c.customizations ?? []).find((x) => x.name === d.customization) as {
        name: string;
        template_body: string;
      },
    ).sha256,
    termination_protection: false,
  }));
}

const summary = (c: ResolvedConfig, observed: ObservedCustomizationStack[], retired?: Set<string>) =>
  planCustomizations({
    customizations: c.customizations ?? [],
    accounts: c.accounts.filter((a) => !retired?.has(a.key)),
    observed,
    ...(retired ? { retired } : {}),
  }).map((d) => `${d.action} ${d.account}/${d.stack_name} ${d.reasons.join(',')}`.trim());

describe('planCustomizations', () => {
  it('creates every wanted stack, then has nothing to do once they exist', () => {
    const c = config();
    expect(summary(c, [])).toEqual([
      'create bar/custom-ssm',
      'create foo/custom-ssm',
      'create foo/custom-role',
    ]);
    expect(summary(c, deployed(c)).every((line) => line.startsWith('unchanged'))).toBe(true);
    expect(
      customizationsSection(
        planCustomizations({
          customizations: c.customizations ?? [],
          accounts: c.accounts,
          observed: deployed(c),
        }),
      ).status,
    ).toBe('in-sync');
  });

  it('updates only the stacks of a changed template', () => {
    const before = config();
    const after = config(`${TEMPLATE}Outputs:\n  X: { Value: x }\n`);
    expect(summary(after, deployed(before))).toEqual([
      'update bar/custom-ssm template',
      'update foo/custom-ssm template',
      'unchanged foo/custom-role',
    ]);
  });

  it('updates a stack whose interpolated parameters changed', () => {
    const c = config();
    const observed = deployed(c).map((o) =>
      o.account === 'foo' && o.customization === 'ssm' ? { ...o, parameters: { Service: 'old' } } : o,
    );
    expect(summary(c, observed)).toContain('update foo/custom-ssm parameters');
  });

  it('deletes stacks no longer targeted or of a removed customization; refuses termination-protected ones', () => {
    const c = config();
    const observed = [
      ...deployed(c),
      { ...deployed(c)[0], account: 'cicd' } as ObservedCustomizationStack,
      {
        ...deployed(c)[0],
        account: 'audit',
        customization: 'gone',
        stack_name: 'custom-gone',
        termination_protection: true,
      } as ObservedCustomizationStack,
    ];
    const lines = summary(c, observed);
    expect(lines).toContain('delete cicd/custom-ssm no longer targeted');
    expect(lines.find((l) => l.startsWith('refused'))).toMatch(
      /^refused audit\/custom-gone termination protection is on/,
    );
    const s = customizationsSection(
      planCustomizations({ customizations: c.customizations ?? [], accounts: c.accounts, observed }),
    );
    expect(s.status).toBe('blocked');
    expect(s.changes.map((ch) => `${ch.symbol} ${ch.target}`)).toEqual(['- cicd/ap-southeast-2/custom-ssm']);
  });

  it('removes the stacks of a retired account unless the customization keeps them', () => {
    const retired = new Set(['foo']);
    expect(summary(config(), deployed(config()), retired).filter((l) => l.includes('foo/'))).toEqual([
      'delete foo/custom-ssm account retired',
      'delete foo/custom-role account retired',
    ]);
    const keeping = config(TEMPLATE, 'keep_on_retire: true\n');
    expect(summary(keeping, deployed(keeping), retired).filter((l) => l.includes('foo/'))).toEqual([
      'delete foo/custom-ssm account retired',
      'kept foo/custom-role account retired; keep_on_retire is set',
    ]);
  });

  it('reports drift found by drift detection, one line per resource, and why it could not be checked', () => {
    const c = config();
    const observed = deployed(c).map((o, i) =>
      i === 0
        ? {
            ...o,
            drift_status: 'DRIFTED',
            drifted_resources: ['P (AWS::SSM::Parameter) MODIFIED', 'Q (AWS::SSM::Parameter) DELETED'],
          }
        : i === 1
          ? { ...o, drift_status: 'IN_SYNC', drift_note: 'drift detection could not start: AccessDenied' }
          : o,
    );
    const s = customizationsSection(
      planCustomizations({ customizations: c.customizations ?? [], accounts: c.accounts, observed }),
    );
    expect(s.drift).toEqual([
      { target: 'bar/ap-southeast-2/custom-ssm', detail: 'P (AWS::SSM::Parameter) MODIFIED' },
      { target: 'bar/ap-southeast-2/custom-ssm', detail: 'Q (AWS::SSM::Parameter) DELETED' },
    ]);
    expect(s.notes).toEqual([expect.stringMatching(/: drift detection could not start: AccessDenied$/)]);
    expect(s.changes).toEqual([]);
  });

  it('applies in dependency order, deletes last in reverse order', () => {
    const c = config();
    const decisions = planCustomizations({
      customizations: c.customizations ?? [],
      accounts: c.accounts,
      observed: [{ ...deployed(c)[0], account: 'cicd' } as ObservedCustomizationStack],
    });
    expect(
      applyOrder(decisions, c.customizations ?? []).map((wave) =>
        wave.map((d) => `${d.action} ${d.account}/${d.customization}`),
      ),
    ).toEqual([['create bar/ssm', 'create foo/ssm'], ['create foo/role'], ['delete cicd/ssm']]);
  });

  it('addresses templates by content', () => {
    const a = customizationTemplateKey({ name: 'ssm', template_body: TEMPLATE });
    expect(a.key).toBe(`customizations/ssm/${a.sha256}.template`);
    expect(customizationTemplateKey({ name: 'ssm', template_body: `${TEMPLATE} ` }).key).not.toBe(a.key);
    expect(customizationStackTags({ name: 'ssm', template_body: TEMPLATE })).toEqual([
      { Key: 'orgbridge:customization', Value: 'ssm' },
      { Key: 'orgbridge:template-sha256', Value: a.sha256 },
    ]);
  });
});
