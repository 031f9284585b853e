import type { AccountKind } from '../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { accountKinds, specialAccountIds, type TemplateInputs } from './inputs.js';
import { busArn } from './stacks/common.js';
import type {
  ForwardShardView,
  KindTopologyView,
  QueueView,
  RuleView,
  TopologyView,
} from './topology-view.js';

/**
 * PROVISIONAL: stands in for the messaging topology of src/protocol/topology.ts until it lands;
 * then this module only maps that topology onto TopologyView. Keep routing decisions out of the
 * stacks: they render whatever this returns.
 */

/** EventBridge allows 300 rules per bus; keep headroom for hand-made rules. */
export const FORWARD_RULES_PER_BUS = 290;

const REPLY_TYPES = [
  'ACCOUNTS_LISTED',
  'ACCOUNT_CREATED',
  'STACK_INSTANCE_STATUS_REPORTED',
  'PONG',
  'REQUEST_FAILED',
];

const HANDLED: Readonly<Record<AccountKind, readonly string[]>> = {
  management: [
    'LIST_ACCOUNTS',
    'CREATE_ACCOUNT',
    'MOVE_ACCOUNT',
    'TAG_ACCOUNT',
    'RETIRE_ACCOUNT',
    'STACK_INSTANCE_STATUS',
    'SYNC_SCPS',
    'PING',
  ],
  cicd: ['PING'],
  identity: ['UPDATE_IAM_MAPPING', 'PING'],
  dns: ['DNS_CREATE_ALIAS', 'DNS_CREATE_VALIDATION_RECORD', 'PING'],
  logs: ['UPDATE_LOG_BUCKETS', 'PING'],
  audit: ['PING'],
  member: ['PUT_SSM_PARAMETERS', 'CREATE_VPC', 'PING'],
};

/** Detail-types any account of the organization may send (the DNS account's bus accepts them). */
const FROM_ANY_ACCOUNT = new Set(['DNS_CREATE_ALIAS', 'DNS_CREATE_VALIDATION_RECORD']);

/** The one InputTransformer of every queue target: keeps the sender `account` (see notes/moto.md). */
export const ENVELOPE_TRANSFORMER = {
  inputPathsMap: {
    id: '$.id',
    account: '$.account',
    source: '$.source',
    detailType: '$.detail-type',
    time: '$.time',
    region: '$.region',
    detail: '$.detail',
  },
  inputTemplate:
    '{"id": "<id>", "account": "<account>", "source": "<source>", "detail-type": "<detailType>", "time": "<time>", "region": "<region>", "detail": <detail>}',
};

function queue(name: string, visibilityTimeoutSeconds: number): QueueView {
  return { name, dlqName: `${name}-dlq`, maxReceiveCount: 3, visibilityTimeoutSeconds };
}

export function renderTopology(inputs: TemplateInputs): TopologyView {
  const { config } = inputs;
  const special = specialAccountIds(inputs);
  const busName = config.organization.event_bus;
  const source = config.organization.event_source;
  const region = inputs.homeRegion;
  const cicdBus = busArn(special.cicd, region, busName);

  const kinds = {} as Record<AccountKind, KindTopologyView>;
  for (const kind of [...SPECIAL_ACCOUNT_KINDS, 'member'] as AccountKind[]) {
    const handled = HANDLED[kind];
    const fromCicd = handled.filter((t) => !FROM_ANY_ACCOUNT.has(t));
    const fromAny = handled.filter((t) => FROM_ANY_ACCOUNT.has(t));
    const handlerQueue = queue(`orgbridge-${kind}-handler`, 6 * (kind === 'management' ? 600 : 300));
    const rules: RuleView[] = [];
    if (fromCicd.length > 0) {
      rules.push({
        name: `orgbridge-${kind}-from-cicd`,
        busName,
        description: `orgbridge: requests the ${kind} handler accepts from the cicd account`,
        eventPattern: { source: [source], account: [special.cicd], 'detail-type': fromCicd },
        targets: [
          {
            type: 'queue',
            id: 'handler',
            queueName: handlerQueue.name,
            inputTransformer: ENVELOPE_TRANSFORMER,
          },
        ],
      });
    }
    if (fromAny.length > 0) {
      rules.push({
        name: `orgbridge-${kind}-from-organization`,
        busName,
        description: `orgbridge: requests the ${kind} handler accepts from any account`,
        eventPattern: { source: [source], 'detail-type': fromAny },
        targets: [
          {
            type: 'queue',
            id: 'handler',
            queueName: handlerQueue.name,
            inputTransformer: ENVELOPE_TRANSFORMER,
          },
        ],
      });
    }
    const extraQueues: QueueView[] = [];
    if (kind === 'cicd') {
      const reply = queue('orgbridge-replies', 60);
      extraQueues.push(reply);
      rules.push({
        name: 'orgbridge-replies',
        busName,
        description: 'orgbridge: replies to the pipeline, matched by nonce',
        eventPattern: { source: [source], 'detail-type': REPLY_TYPES },
        targets: [
          { type: 'queue', id: 'replies', queueName: reply.name, inputTransformer: ENVELOPE_TRANSFORMER },
        ],
      });
    } else {
      rules.push({
        name: `orgbridge-${kind}-replies-to-cicd`,
        busName,
        description: 'orgbridge: replies go back to the cicd account',
        eventPattern: { source: [source], 'detail-type': REPLY_TYPES },
        targets: [{ type: 'bus', id: 'cicd', arn: cicdBus }],
      });
    }
    if (kind === 'audit') {
      const store = queue('orgbridge-audit-store', 360);
      extraQueues.push(store);
      rules.push({
        name: 'orgbridge-audit-store',
        busName,
        description: 'orgbridge: every event of the organization, to the audit store',
        eventPattern: { source: [{ prefix: '' }] },
        targets: [
          { type: 'queue', id: 'store', queueName: store.name, inputTransformer: ENVELOPE_TRANSFORMER },
        ],
      });
    }
    kinds[kind] = { kind, handlerQueue, extraQueues, rules, handledDetailTypes: handled };
  }

  const kindOf = accountKinds(config);
  const targets = Object.entries(inputs.accountIds)
    .filter(([key]) => kindOf.get(key) !== 'cicd')
    .sort(([, a], [, b]) => a.localeCompare(b));
  const forwardShards: ForwardShardView[] = [];
  for (let i = 0; i * FORWARD_RULES_PER_BUS < targets.length; i++) {
    const shardBus = `${busName}-forward-${String(i + 1).padStart(2, '0')}`;
    forwardShards.push({
      index: i + 1,
      busName: shardBus,
      rules: targets.slice(i * FORWARD_RULES_PER_BUS, (i + 1) * FORWARD_RULES_PER_BUS).map(([key, id]) => ({
        name: `orgbridge-forward-${id}`,
        busName: shardBus,
        description: `orgbridge: to ${key}`,
        eventPattern: { source: [source], detail: { target_account: [id] } },
        targets: [{ type: 'bus', id: 'account', arn: busArn(id, region, busName) }],
      })),
    });
  }

  return {
    bus: {
      busName,
      senders: {
        management: { type: 'accounts', accountIds: [special.cicd] },
        cicd: { type: 'organization' },
        identity: { type: 'accounts', accountIds: [special.cicd] },
        dns: { type: 'organization' },
        logs: { type: 'accounts', accountIds: [special.cicd] },
        audit: { type: 'organization' },
        member: { type: 'accounts', accountIds: [special.cicd] },
      },
      auditForward: {
        name: 'orgbridge-to-audit',
        busName,
        description: 'orgbridge: every event to the audit account',
        eventPattern: { source: [{ prefix: '' }] },
        targets: [{ type: 'bus', id: 'audit', arn: busArn(special.audit, region, busName) }],
      },
    },
    kinds,
    forwardShards,
  };
}
