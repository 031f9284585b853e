import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { silentLog } from '../../../src/bus/log.js';
import { EventSender } from '../../../src/bus/sender.js';
import type { AccountKind } from '../../../src/config/model.js';
import { checkTemplateUrl } from '../../../src/handlers/provisioning/template-origin.js';
import { handlersFor } from '../../../src/handlers/registry.js';
import { artifactObjectUrl, templateKey } from '../../../src/protocol/names.js';
import { ENVELOPE_INPUT_TRANSFORMER } from '../../../src/protocol/topology.js';
import { handleSqsBatch, type RuntimeDeps } from '../../../src/runtime/handle.js';
import { toSqsRecord } from '../../../src/runtime/poller.js';
import { zonesOnlyEc2 } from '../../support/fake-ec2.js';

const CICD = '222222222222';
const LOGS = '555555555555';
const IDENTITY = '333333333333';
const MEMBER = '777777777777';
const OTHER = '888888888888';
const HOME = 'eu-west-1';
const NONCE = '687754b2-abd6-4ae6-ae2d-f98bd134512e';
const kinds: Record<string, AccountKind> = { [CICD]: 'cicd', [LOGS]: 'logs', [IDENTITY]: 'identity' };

/** What the pipeline sends: an uploaded template of the cicd artifact bucket of `region`. */
const pipelineUrl = (name: string, region = HOME) => artifactObjectUrl(CICD, region, templateKey(name));

/** URLs a forged or corrupted request could name, each of which a handler must refuse. */
const FORGED: readonly (readonly [string, string])[] = [
  [
    'a bucket of someone else',
    `https://attacker-templates.s3.${HOME}.amazonaws.com/templates/x.template.json`,
  ],
  ["another account's artifact bucket", artifactObjectUrl(OTHER, HOME, templateKey('vpc-0123456789abcdef'))],
  ['the artifact bucket of another region', pipelineUrl('vpc-0123456789abcdef', 'us-west-2')],
  ['an object outside templates/', artifactObjectUrl(CICD, HOME, 'lambdas/member-0123456789abcdef.zip')],
  ['a path with ..', artifactObjectUrl(CICD, HOME, 'templates/../lambdas/x.zip')],
  ['a query string', `${pipelineUrl('vpc-0123456789abcdef')}?versionId=1`],
  ['another host', 'https://example.com/templates/vpc.template.json'],
];

function body(type: string, detail: Record<string, unknown>, target: string): string {
  const values: Record<string, string> = {
    id: 'e1',
    account: CICD,
    source: 'app.infra',
    'detail-type': type,
    time: 't',
    region: HOME,
  };
  const full = { nonce: NONCE, dryrun: false, target_account: target, reply_to: CICD, ...detail };
  return ENVELOPE_INPUT_TRANSFORMER.inputTemplate
    .replace('<detail>', JSON.stringify(full))
    .replace(/<([\w-]+)>/g, (_, k: string) => values[k] ?? '');
}

/**
 * The runtime with the real provisioning handlers, in `account` of `kind`, whose clients act in
 * HOME and fail any AWS call: a refused request must never reach CloudFormation.
 */
async function handleAs(account: string, kind: AccountKind, type: string, detail: Record<string, unknown>) {
  const calls: string[] = [];
  /** The region each CloudFormation client was asked for (undefined: the handler's own). */
  const regions: (string | undefined)[] = [];
  const noAws = {
    send(command: object) {
      calls.push(command.constructor.name);
      throw new Error(`unexpected AWS call ${command.constructor.name}`);
    },
  };
  const sent: PutEventsRequestEntry[] = [];
  const deps: RuntimeDeps = {
    account: { id: account, kind },
    source: 'app.infra',
    publishBus: 'bus',
    senderKind: (id) => kinds[id] ?? 'member',
    handlers: handlersFor(kind),
    clients: {
      context: { region: HOME },
      cloudFormation: (region?: string) => {
        regions.push(region);
        return noAws;
      },
      ec2: (region?: string) => zonesOnlyEc2(region ?? HOME),
    } as unknown as AwsClients,
    events: new EventSender({
      async putEvents(entries) {
        sent.push(...entries);
        return { failedEntryCount: 0, entries: entries.map(() => ({ EventId: 'x' })) };
      },
    }),
    log: silentLog,
    maxReceiveCount: 3,
  };
  const message = {
    messageId: 'm1',
    receiptHandle: 'r1',
    body: body(type, detail, account),
    receiveCount: 1,
  };
  const out = await handleSqsBatch(
    [toSqsRecord(message, `arn:aws:sqs:${HOME}:${account}:orgbridge-handler`, HOME)],
    deps,
  );
  const replies = sent.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail ?? '{}') }));
  return { outcome: out.outcomes[0], failures: out.batchItemFailures, calls, regions, replies };
}

describe('template URLs of the provisioning handlers', () => {
  it('accept exactly what the pipeline uploads: the cicd bucket of the region, under templates/', () => {
    const origin = { cicdAccountId: CICD, region: HOME };
    expect(() => checkTemplateUrl('CREATE_VPC', pipelineUrl('vpc-0123456789abcdef'), origin)).not.toThrow();
    for (const [name, url] of FORGED) {
      expect(() => checkTemplateUrl('CREATE_VPC', url, origin), name).toThrow(
        expect.objectContaining({
          code: 'PROVISION_TEMPLATE_URL_NOT_ALLOWED',
          message: expect.stringContaining(`orgbridge-artifacts-${CICD}-${HOME}`),
        }),
      );
    }
  });

  const requests = [
    [
      'CREATE_VPC',
      MEMBER,
      'member',
      (url: string) => ({ region: HOME, cidr: '10.0.0.0/16', nat_gateway_count: 1, template_url: url }),
    ],
    [
      'UPDATE_ACCOUNT_BASELINE',
      MEMBER,
      'member',
      (url: string) => ({ stack_name: 'orgbridge-account-baseline', template_url: url }),
    ],
    [
      'UPDATE_IAM_MAPPING',
      IDENTITY,
      'identity',
      (url: string) => ({ stack_name: 'orgbridge-iam-mapping', template_url: url }),
    ],
    [
      'UPDATE_LOG_BUCKETS',
      LOGS,
      'logs',
      (url: string) => ({ stack_name: 'orgbridge-log-buckets', template_url: url }),
    ],
  ] as const;

  for (const [type, account, kind, detailOf] of requests) {
    it.each(
      FORGED,
    )(`${type} refuses a template from %s, answers why and calls no AWS API`, async (_name, url) => {
      const { outcome, failures, calls, replies } = await handleAs(account, kind, type, detailOf(url));
      expect(outcome).toMatchObject({ status: 'rejected', code: 'PROVISION_TEMPLATE_URL_NOT_ALLOWED' });
      expect(failures).toEqual([]);
      expect(calls).toEqual([]);
      expect(replies).toMatchObject([
        {
          type: 'REQUEST_FAILED',
          detail: { code: 'PROVISION_TEMPLATE_URL_NOT_ALLOWED', request_type: type },
        },
      ]);
    });
  }

  it("CREATE_VPC takes the template from the artifact bucket of the VPC's region, not the handler's", async () => {
    const vpc = { cidr: '10.0.0.0/16', nat_gateway_count: 1 };
    // A VPC in us-west-2 with the home region's template: CloudFormation there could not read it.
    const home = await handleAs(MEMBER, 'member', 'CREATE_VPC', {
      ...vpc,
      region: 'us-west-2',
      template_url: pipelineUrl('vpc-0123456789abcdef'),
    });
    expect(home.outcome).toMatchObject({ status: 'rejected', code: 'PROVISION_TEMPLATE_URL_NOT_ALLOWED' });
    // The right bucket passes the check and goes on to CloudFormation (here: the failing fake).
    const right = await handleAs(MEMBER, 'member', 'CREATE_VPC', {
      ...vpc,
      region: 'us-west-2',
      template_url: pipelineUrl('vpc-0123456789abcdef', 'us-west-2'),
    });
    expect(right.calls).toEqual(['DescribeStacksCommand']);
  });
  it("UPDATE_ACCOUNT_BASELINE with a region deploys orgbridge-backup-vaults there, from that region's bucket", async () => {
    const vaults = { stack_name: 'orgbridge-backup-vaults', region: 'us-west-2' };
    const right = await handleAs(MEMBER, 'member', 'UPDATE_ACCOUNT_BASELINE', {
      ...vaults,
      template_url: pipelineUrl('backup-vaults-0123456789abcdef', 'us-west-2'),
    });
    expect(right.calls).toEqual(['DescribeStacksCommand']);
    expect(right.regions).toEqual(['us-west-2']);
    // The home region's bucket: CloudFormation in us-west-2 could not read it.
    const home = await handleAs(MEMBER, 'member', 'UPDATE_ACCOUNT_BASELINE', {
      ...vaults,
      template_url: pipelineUrl('backup-vaults-0123456789abcdef'),
    });
    expect(home.outcome).toMatchObject({ status: 'rejected', code: 'PROVISION_TEMPLATE_URL_NOT_ALLOWED' });
    expect(home.calls).toEqual([]);
  });

  it.each<[string, { stack_name: string; region?: string }]>([
    ['the baseline in another region', { stack_name: 'orgbridge-account-baseline', region: 'us-west-2' }],
    ['the backup vaults without a region', { stack_name: 'orgbridge-backup-vaults' }],
    [
      "the backup vaults in the handler's region, whose vaults are the baseline's",
      { stack_name: 'orgbridge-backup-vaults', region: HOME },
    ],
    ['another stack in another region', { stack_name: 'orgbridge-vpc', region: 'us-west-2' }],
  ])('UPDATE_ACCOUNT_BASELINE refuses %s and calls no AWS API', async (_name, detail) => {
    const { outcome, calls } = await handleAs(MEMBER, 'member', 'UPDATE_ACCOUNT_BASELINE', {
      ...detail,
      template_url: pipelineUrl('backup-vaults-0123456789abcdef', detail.region ?? HOME),
    });
    expect(outcome).toMatchObject({ status: 'rejected', code: 'PROVISION_STACK_NOT_ALLOWED' });
    expect(calls).toEqual([]);
  });
});
