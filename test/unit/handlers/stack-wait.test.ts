import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { sdk } from '../../../src/aws/sdk.js';
import { silentLog } from '../../../src/bus/log.js';
import {
  createVpcHandler,
  updateLogBucketsHandler,
} from '../../../src/handlers/provisioning/registrations.js';
import type { HandlerContext } from '../../../src/handlers/types.js';
import { artifactObjectUrl, RUNTIME_STACKS, templateKey } from '../../../src/protocol/names.js';
import { handledRequestTypes } from '../../../src/protocol/routing.js';
import {
  HANDLER_REPLY_MARGIN_SECONDS,
  HANDLER_TIMEOUT_SECONDS,
  HANDLER_WAIT_SECONDS,
} from '../../../src/protocol/topology.js';
import { zonesOnlyEc2 } from '../../support/fake-ec2.js';

const CICD = '222222222222';
const LOGS = '555555555555';
const HOME = 'eu-west-1';
const NONCE = '687754b2-abd6-4ae6-ae2d-f98bd134512e';

/**
 * A CloudFormation whose stack never settles (a VPC with NAT gateways, a slow custom resource):
 * every DescribeStacks answers CREATE_IN_PROGRESS.
 */
function slowCloudFormation(): { send(command: object): Promise<unknown> } {
  let created = false;
  return {
    async send(command: object) {
      const name = command.constructor.name;
      if (name === 'DescribeStacksCommand') {
        if (!created)
          throw Object.assign(new Error('Stack with id x does not exist'), { name: 'ValidationError' });
        return { Stacks: [{ StackName: 'x', StackStatus: 'CREATE_IN_PROGRESS' }] };
      }
      if (name === 'CreateStackCommand') {
        created = true;
        return { StackId: 'arn:aws:cloudformation:eu-west-1:555555555555:stack/x/1' };
      }
      throw new Error(`unexpected ${name}`);
    },
  };
}

function contextIn(account: string, invocationMs: number, started: number): HandlerContext {
  const cfn = slowCloudFormation();
  return {
    clients: {
      context: { region: HOME },
      cloudFormation: () => cfn,
      ec2: (region?: string) => zonesOnlyEc2(region ?? HOME),
    } as unknown as AwsClients,
    log: silentLog,
    account: { id: account, kind: 'logs' },
    sender: { id: CICD, kind: 'cicd' },
    nonce: NONCE,
    dryrun: false,
    // What Lambda's context.getRemainingTimeInMillis says.
    remainingTimeMs: () => started + invocationMs - Date.now(),
    reply: async () => {},
  };
}

describe('handler waits stay inside the Lambda invocation', () => {
  // CREATE_VPC's zone count loads the EC2 package on first use: loaded here, in real time, so
  // the fake clock below measures only the handler's waits.
  beforeAll(async () => {
    await sdk.ec2();
  });
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function settlesWithin(run: Promise<unknown>, ms: number): Promise<unknown> {
    let settled: { error: unknown } | undefined;
    run.then(
      () => {
        settled = { error: undefined };
      },
      (error: unknown) => {
        settled = { error };
      },
    );
    await vi.advanceTimersByTimeAsync(ms);
    return settled;
  }

  it('a stack still in progress is handed back before a 300 s invocation ends, not after 600 s of waiting', async () => {
    const ctx = contextIn(LOGS, 300_000, Date.now());
    const run = updateLogBucketsHandler.handle(
      {
        nonce: NONCE,
        dryrun: false,
        target_account: LOGS,
        reply_to: CICD,
        stack_name: RUNTIME_STACKS.logBuckets,
        template_url: artifactObjectUrl(CICD, HOME, templateKey('log-buckets-0123456789abcdef')),
      },
      ctx,
    );
    const settled = (await settlesWithin(run, 300_000 - HANDLER_REPLY_MARGIN_SECONDS * 1000 + 20_000)) as
      | { error: unknown }
      | undefined;
    expect(settled, 'the handler was still waiting when Lambda would have killed it').toBeDefined();
    expect(settled?.error).toMatchObject({ code: 'PROVISION_STACK_TIMEOUT' });
    // And it left itself the margin to store the failure and answer.
    expect(Date.now()).toBeLessThan(300_000);
  });

  it('CREATE_VPC waits no longer than the invocation either', async () => {
    const ctx = {
      ...contextIn('777777777777', 120_000, Date.now()),
      account: { id: '777777777777', kind: 'member' as const },
    };
    const run = createVpcHandler.handle(
      {
        nonce: NONCE,
        dryrun: false,
        target_account: '777777777777',
        reply_to: CICD,
        region: HOME,
        cidr: '10.0.0.0/16',
        nat_gateway_count: 3,
        template_url: artifactObjectUrl(CICD, HOME, templateKey('vpc-0123456789abcdef')),
      },
      ctx,
    );
    const settled = (await settlesWithin(run, 120_000)) as { error: unknown } | undefined;
    expect(settled?.error).toMatchObject({ code: 'PROVISION_STACK_TIMEOUT' });
  });

  it('every kind’s Lambda timeout covers the longest wait of the types it handles, plus the reply margin', () => {
    for (const [kind, timeout] of Object.entries(HANDLER_TIMEOUT_SECONDS)) {
      for (const type of handledRequestTypes(kind as keyof typeof HANDLER_TIMEOUT_SECONDS)) {
        const wait = HANDLER_WAIT_SECONDS[type] ?? 0;
        expect(wait + HANDLER_REPLY_MARGIN_SECONDS, `${kind} ${type}`).toBeLessThanOrEqual(timeout);
      }
    }
  });
});
