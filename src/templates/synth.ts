import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { App, Stack } from 'aws-cdk-lib';
import { CfnEventBus } from 'aws-cdk-lib/aws-events';
import type { AccountKind, SpecialAccountKind } from '../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { requirePlacementOus, requireSpecialAccounts } from '../config/special-accounts.js';
import { orgPathResolver, planLogDelivery } from '../plan/access.js';
import {
  artifactObjectUrl,
  ROLE_NAMES,
  STACK_NAMES,
  STACK_SET_NAMES,
  templateKey,
} from '../protocol/names.js';
import { AUDIT_QUEUE, REPLY_QUEUE } from '../protocol/topology.js';
import { specialAccountIds, type TemplateInputs } from './inputs.js';
import { auditStoreStatement, type PolicyStatement } from './permissions.js';
import { renderLogBuckets } from './provisioning.js';
import { addAuditFloodAlarm, addReplyBacklogAlarm } from './stacks/alarms.js';
import { addArtifactBucket, addAuditStore } from './stacks/buckets.js';
import { newApp, newStack } from './stacks/common.js';
import { addEventBus } from './stacks/event-bus.js';
import { addHandler } from './stacks/handlers.js';
import { addDashboard, addMonitoringSink } from './stacks/monitoring.js';
import { addAlarmNotifications } from './stacks/notifications.js';
import { addForwarderRole, addRule, roleTargetArns } from './stacks/rules.js';
import { addStackSets } from './stacks/stack-sets.js';
import { renderTopology } from './topology-adapter.js';
import type { TopologyView } from './topology-view.js';

/** Where a template is deployed. */
export type Placement =
  /** A plain stack in one account and region. */
  | {
      readonly type: 'account';
      readonly accountKey: string;
      readonly region: string;
      readonly stackName: string;
      /** CloudFormation service role (by name, in that account) the stack is deployed with. */
      readonly serviceRoleName?: string;
    }
  /** A stack set instance in accounts of the organization (in local mode: a stack in each). */
  | {
      readonly type: 'stack-set';
      readonly stackSetName: string;
      readonly stackName: string;
      readonly region: string;
      /** `members`: every account but the special ones; `all`: every account. */
      readonly accounts: 'all' | 'members';
    };

export interface RenderedTemplate {
  /** File name stem, e.g. `handlers-management`, `forward-03`. */
  readonly name: string;
  readonly placement: Placement;
  readonly template: Readonly<Record<string, unknown>>;
  /** Pretty JSON, as written to disk and uploaded. */
  readonly body: string;
  readonly sha256: string;
}

export interface RenderOptions {
  /** Emulator variant: handlers without Lambda and event source mapping; no stack sets template. */
  readonly local?: boolean;
  /** Retention of the audit bucket's object lock. */
  readonly auditRetentionDays?: number;
}

/** What every stage of `renderTemplates` needs: the inputs and the app the stacks are added to. */
interface RenderContext {
  readonly inputs: TemplateInputs;
  readonly options: RenderOptions;
  readonly topology: ReturnType<typeof renderTopology>;
  readonly special: ReturnType<typeof specialAccountIds>;
  readonly keyOf: (kind: SpecialAccountKind) => string;
  readonly busName: string;
  readonly add: (name: string, placement: Placement, description: string) => Stack;
}

/** Order matters for the bootstrap: artifact buckets, audit, buses, handlers, forward rules. */
export function renderTemplates(inputs: TemplateInputs, options: RenderOptions = {}): RenderedTemplate[] {
  const topology = renderTopology(inputs);
  const keys = requireSpecialAccounts(
    inputs.config,
    "orgbridge's templates (synth, bootstrap, the pipeline)",
  );
  const app = newApp();
  const placements = new Map<Stack, { name: string; placement: Placement }>();
  const ctx: RenderContext = {
    inputs,
    options,
    topology,
    special: specialAccountIds(inputs),
    keyOf: (kind) => keys[kind],
    busName: topology.bus.busName,
    add: (name, placement, description) => {
      const stack = newStack(app, name, { stackName: placement.stackName, description });
      placements.set(stack, { name, placement });
      return stack;
    },
  };

  addArtifactStacks(ctx);
  const busStack = ctx.add(
    'event-bus',
    {
      type: 'stack-set',
      stackSetName: STACK_SET_NAMES.eventBus,
      stackName: STACK_NAMES.eventBus,
      region: inputs.homeRegion,
      accounts: 'all',
    },
    'orgbridge: the event bus of every account, its policy and the forward-to-audit rule',
  );
  // moto cannot deliver to SNS (a matching rule fails the whole PutEvents): no notifications locally.
  addEventBus(busStack, topology.bus, ctx.special, inputs.organizationId, {
    alarmNotifications: !options.local,
    ...(!options.local && inputs.monitoringSinkArn ? { monitoringSinkArn: inputs.monitoringSinkArn } : {}),
  });
  addHandlerStacks(ctx);
  addForwardShards(topology, (index, description) =>
    ctx.add(
      `forward-${String(index).padStart(2, '0')}`,
      {
        type: 'account',
        accountKey: ctx.keyOf('cicd'),
        region: inputs.homeRegion,
        stackName: STACK_NAMES.forward(index),
      },
      description,
    ),
  );

  const synthesized = synthesize(app, placements);
  const forwards = synthesized.findIndex((t) => t.name.startsWith('forward-'));
  const firstForward = forwards < 0 ? synthesized.length : forwards;
  const rendered = [
    ...synthesized.slice(0, firstForward),
    logBucketsTemplate(ctx),
    ...synthesized.slice(firstForward),
  ];
  return options.local ? rendered : [...rendered, ...renderStackSets(ctx, rendered)];
}

/** The cicd account's artifact bucket in every region (the home region's grants the management account). */
function addArtifactStacks(ctx: RenderContext): void {
  const { inputs, special } = ctx;
  for (const region of inputs.regions) {
    const stack = ctx.add(
      `artifacts-${region}`,
      { type: 'account', accountKey: ctx.keyOf('cicd'), region, stackName: STACK_NAMES.artifacts },
      `orgbridge: artifact bucket of ${region} (templates and Lambda bundles)`,
    );
    addArtifactBucket(
      stack,
      special.cicd,
      region,
      inputs.organizationId,
      region === inputs.homeRegion ? special.management : undefined,
    );
  }
}

/** One handler stack per special account, and the member accounts' one (a stack set in AWS). */
function addHandlerStacks(ctx: RenderContext): void {
  const { inputs, options, special, busName } = ctx;
  const { homeRegion } = inputs;
  const placementOus = requirePlacementOus(
    inputs.config,
    "orgbridge's templates (synth, bootstrap, the pipeline)",
  );
  const handlerKinds: AccountKind[] = [...SPECIAL_ACCOUNT_KINDS, 'member'];
  for (const kind of handlerKinds) {
    const placement: Placement =
      kind === 'member'
        ? {
            type: 'stack-set',
            stackSetName: STACK_SET_NAMES.handlers,
            stackName: STACK_NAMES.handlers,
            region: homeRegion,
            accounts: 'members',
          }
        : {
            type: 'account',
            accountKey: ctx.keyOf(kind),
            region: homeRegion,
            stackName: STACK_NAMES.handlers,
          };
    const stack = ctx.add(
      `handlers-${kind}`,
      placement,
      `orgbridge: the ${kind} account's queues, rules and handler`,
    );
    let extraStatements: PolicyStatement[] | undefined;
    if (kind === 'audit') {
      const bucketArn = addAuditStore(
        stack,
        special.audit,
        homeRegion,
        busName,
        options.auditRetentionDays ?? 2555,
        special.management,
      );
      extraStatements = [auditStoreStatement(bucketArn)];
      const auditRule = ctx.topology.kinds.audit.rules.find((r) =>
        r.targets.some((t) => t.type === 'queue' && t.queueName === AUDIT_QUEUE),
      );
      if (auditRule) addAuditFloodAlarm(stack, auditRule, inputs.config.accounts.length);
      // moto has no CloudWatch cross-account observability: the sink and dashboard are AWS-only.
      if (!options.local) {
        addAlarmNotifications(stack, {
          organizationId: inputs.organizationId,
          notifications: inputs.config.notifications,
        });
        addMonitoringSink(stack, inputs.organizationId);
        addDashboard(stack);
      }
    }
    const { queues } = addHandler(stack, {
      kind,
      topology: ctx.topology.kinds[kind],
      busName,
      eventSource: inputs.config.organization.event_source,
      special,
      organizationId: inputs.organizationId,
      placement: placementOus,
      ...(inputs.config.organization.operators ? { operators: inputs.config.organization.operators } : {}),
      bundleKey: inputs.bundleKeys[kind],
      local: options.local ?? false,
      ...(extraStatements ? { extraStatements } : {}),
    });
    const replies = queues.get(REPLY_QUEUE);
    if (kind === 'cicd' && replies)
      addReplyBacklogAlarm(stack, replies, REPLY_QUEUE, inputs.config.accounts.length);
  }
}

/**
 * The logs bucket is the provisioning pipeline's template (one function, one grant plan), so a
 * bootstrap and a later `run --action pipeline` deploy the same bytes to the same stack.
 */
function logBucketsTemplate(ctx: RenderContext): RenderedTemplate {
  const { inputs, special } = ctx;
  const grant = planLogDelivery(
    inputs.config,
    inputs.accountIds,
    orgPathResolver(inputs.organizationId, inputs.ous ?? {}),
  );
  const logs = renderLogBuckets(special.logs, inputs.homeRegion, inputs.organizationId, grant);
  return {
    name: 'log-buckets',
    placement: {
      type: 'account',
      accountKey: ctx.keyOf('logs'),
      region: inputs.homeRegion,
      stackName: logs.stackName,
      serviceRoleName: ROLE_NAMES.logBucketUpdater,
    },
    template: logs.template,
    body: logs.body,
    sha256: logs.sha256,
  };
}

/** The stack sets point at the templates by content hash, so they render last. */
function renderStackSets(ctx: RenderContext, rendered: readonly RenderedTemplate[]): RenderedTemplate[] {
  const { special } = ctx;
  const { homeRegion } = ctx.inputs;
  const sets = newApp();
  const setsStack = newStack(sets, 'stack-sets', {
    stackName: STACK_NAMES.stackSets,
    description: 'orgbridge: the stack sets of the event bus and the member handlers',
  });
  const url = (name: string) => {
    const t = rendered.find((r) => r.name === name) as RenderedTemplate;
    return artifactObjectUrl(special.cicd, homeRegion, templateKey(`${name}-${t.sha256.slice(0, 16)}`));
  };
  addStackSets(
    setsStack,
    [
      {
        id: 'EventBusStackSet',
        stackSetName: STACK_SET_NAMES.eventBus,
        description: 'orgbridge: event bus in every account',
        templateUrl: url('event-bus'),
        excludeSpecialAccounts: false,
      },
      {
        id: 'MemberHandlersStackSet',
        stackSetName: STACK_SET_NAMES.handlers,
        description: 'orgbridge: the common rules and handler of member accounts',
        templateUrl: url('handlers-member'),
        excludeSpecialAccounts: true,
        dependsOn: 'EventBusStackSet',
      },
    ],
    special,
    homeRegion,
  );
  const placement: Placement = {
    type: 'account',
    accountKey: ctx.keyOf('management'),
    region: homeRegion,
    stackName: STACK_NAMES.stackSets,
  };
  return synthesize(sets, new Map([[setsStack, { name: 'stack-sets', placement }]]));
}

/** The cicd account's forward buses, one stack each so no template nears 500 resources. */
function addForwardShards(
  topology: TopologyView,
  stackFor: (index: number, description: string) => Stack,
): void {
  for (const shard of topology.forwardShards) {
    const targets = shard.rules.filter((r) => r.name !== 'orgbridge-to-audit').length;
    const stack = stackFor(
      shard.index,
      `orgbridge: forward rules ${shard.index} of the cicd account (${targets} target accounts on ${shard.busName})`,
    );
    // Shard 0 forwards from the main bus, which the event bus stack set owns.
    const bus = shard.createsBus
      ? new CfnEventBus(stack, 'ForwardBus', {
          name: shard.busName,
          description: 'orgbridge: requests from the pipeline, one rule per target account',
        })
      : undefined;
    const role = addForwarderRole(stack, 'ForwarderRole', roleTargetArns(shard.rules));
    for (const rule of shard.rules) {
      const resource = addRule(stack, rule, new Map(), role);
      if (bus) resource.addResourceDependency(bus);
    }
  }
}

function synthesize(
  app: App,
  placements: ReadonlyMap<Stack, { name: string; placement: Placement }>,
): RenderedTemplate[] {
  const assembly = app.synth();
  try {
    return [...placements].map(([stack, { name, placement }]) => {
      const template = assembly.getStackArtifact(stack.artifactId).template as Record<string, unknown>;
      const body = `${JSON.stringify(template, null, 1)}\n`;
      return { name, placement, template, body, sha256: createHash('sha256').update(body).digest('hex') };
    });
  } finally {
    rmSync(assembly.directory, { recursive: true, force: true });
  }
}
