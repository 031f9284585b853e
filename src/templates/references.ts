import { type DeploymentInput, type DeployStep, deployPhases, deploySteps, phaseOf } from './deployment.js';
import type { Finding } from './guardrails.js';
import { accountKinds } from './inputs.js';
import type { RenderedTemplate } from './synth.js';

/**
 * Guardrail OB-REF-1 over a whole deployment: every named resource a stack refers to (the bus of a
 * rule or bus policy or archive, a rule target's dead-letter queue or role, a function's code
 * bucket, the service role a stack is deployed with) is created in that account and region by
 * the stack itself or by a stack of an earlier deployment wave. CloudFormation refuses a rule on
 * a bus that does not exist, and does not order stacks of different templates, accounts or stack
 * sets by itself: a reference created "later" or "at the same time" fails on the first real
 * bootstrap, wherever the emulator's ordering happened to hide it.
 *
 * Waves are the bootstrap phases (./deployment.ts); the `stack-sets` stack adds its instances to
 * its phase, and a stack set's instances come in a later wave than another's only if its
 * `AutoDeployment.DependsOn` names the other by `Fn::GetAtt` (src/templates/stacks/stack-sets.ts). Account-scoped names are resolved per account (`${AWS::AccountId}`, conditions on it).
 */
export const REFERENCE_RULE = 'OB-REF-1';

type Kind = 'bus' | 'queue' | 'role' | 'bucket';
interface Name {
  readonly kind: Kind;
  /** `*` for buckets: their names are global. */
  readonly account: string;
  readonly region: string;
  readonly name: string;
}
interface Placed {
  readonly template: RenderedTemplate;
  readonly accountId: string;
  readonly region: string;
  readonly stackName: string;
  readonly serviceRoleName?: string;
}
type Json = Record<string, unknown>;
type Resource = { Type: string; Properties?: Json; Condition?: string };

const PARTITION = 'aws';
const keyOf = (n: Name) => `${n.kind}|${n.kind === 'bucket' ? '*' : `${n.account}|${n.region}`}|${n.name}`;

/**
 * The value of a string, `Ref` of a pseudo parameter or `Fn::Sub` in `placed`'s account and
 * Region; undefined if not static.
 */
export function resolve(value: unknown, placed: Pick<Placed, 'accountId' | 'region'>): string | undefined {
  const pseudo: Record<string, string> = {
    'AWS::AccountId': placed.accountId,
    'AWS::Region': placed.region,
    'AWS::Partition': PARTITION,
  };
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return pseudo[ref];
  const sub = (value as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  if (sub === undefined) return undefined;
  const [text, variables] = (Array.isArray(sub) ? sub : [sub, {}]) as [unknown, Record<string, unknown>];
  if (typeof text !== 'string') return undefined;
  let unresolved = false;
  const out = text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const found = pseudo[name] ?? resolve(variables?.[name], placed);
    if (found === undefined) unresolved = true;
    return found ?? '';
  });
  return unresolved ? undefined : out;
}

/** The template's conditions evaluated in `placed`'s account (unknown forms count as true). */
function conditions(placed: Placed): Map<string, boolean> {
  const defs = (placed.template.template.Conditions ?? {}) as Record<string, unknown>;
  const values = new Map<string, boolean>();
  const evaluate = (expr: unknown, depth = 0): boolean => {
    if (depth > 20 || !expr || typeof expr !== 'object') return true;
    const e = expr as Record<string, unknown>;
    if (typeof e.Condition === 'string') return evaluateNamed(e.Condition, depth + 1);
    const args = (key: string) => (Array.isArray(e[key]) ? (e[key] as unknown[]) : undefined);
    const equals = args('Fn::Equals');
    if (equals) {
      const [a, b] = equals.map((x) => resolve(x, placed));
      return a === undefined || b === undefined ? true : a === b;
    }
    const not = args('Fn::Not');
    if (not) return !evaluate(not[0], depth + 1);
    const or = args('Fn::Or');
    if (or) return or.some((x) => evaluate(x, depth + 1));
    const and = args('Fn::And');
    if (and) return and.every((x) => evaluate(x, depth + 1));
    return true;
  };
  const evaluateNamed = (name: string, depth: number): boolean => {
    const known = values.get(name);
    if (known !== undefined) return known;
    const value = evaluate(defs[name], depth);
    values.set(name, value);
    return value;
  };
  for (const name of Object.keys(defs)) evaluateNamed(name, 0);
  return values;
}

function deployedResources(placed: Placed): [string, Resource][] {
  const active = conditions(placed);
  return Object.entries((placed.template.template.Resources ?? {}) as Record<string, Resource>).filter(
    ([, r]) => !r.Condition || active.get(r.Condition) !== false,
  );
}

/** Names created by `placed`. */
function creates(placed: Placed): Name[] {
  const at = (kind: Kind, name: unknown): Name[] => {
    const resolved = resolve(name, placed);
    // IAM roles are global to their account.
    const region = kind === 'role' ? '*' : placed.region;
    return resolved ? [{ kind, account: placed.accountId, region, name: resolved }] : [];
  };
  return deployedResources(placed).flatMap(([, r]) => {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::Events::EventBus') return at('bus', p.Name);
    if (r.Type === 'AWS::SQS::Queue') return at('queue', p.QueueName);
    if (r.Type === 'AWS::IAM::Role') return at('role', p.RoleName);
    if (r.Type === 'AWS::S3::Bucket') return at('bucket', p.BucketName);
    return [];
  });
}

/** `arn:partition:service:region:account:resource` of a queue, role or bus. */
function nameOfArn(arn: string): Name | undefined {
  const [, , service, region = '', account = '', ...rest] = arn.split(':');
  const resource = rest.join(':');
  if (service === 'sqs') return { kind: 'queue', account, region, name: resource };
  if (service === 'iam' && resource.startsWith('role/'))
    return {
      kind: 'role',
      account,
      region: '*',
      name: resource.slice('role/'.length).split('/').pop() ?? '',
    };
  if (service === 'events' && resource.startsWith('event-bus/'))
    return { kind: 'bus', account, region, name: resource.slice('event-bus/'.length) };
  return undefined;
}

interface Reference {
  readonly name: Name;
  readonly resource: string;
  readonly what: string;
}

/** Named resources `placed` refers to in its own account (and the global buckets). */
function references(placed: Placed): Reference[] {
  const refs: Reference[] = [];
  const here = (kind: Kind, name: string): Name => ({
    kind,
    account: placed.accountId,
    region: kind === 'role' ? '*' : placed.region,
    name,
  });
  const byArn = (resource: string, what: string, arn: unknown) => {
    const resolved = resolve(arn, placed);
    const name = resolved ? nameOfArn(resolved) : undefined;
    // Only this account's: another account's bus is a delivery target, not a deployment input.
    if (name && name.account === placed.accountId) refs.push({ name, resource, what });
  };
  for (const [id, r] of deployedResources(placed)) {
    const p = r.Properties ?? {};
    const bus = (what: string, value: unknown) => {
      const name = resolve(value ?? 'default', placed);
      if (name && name !== 'default') refs.push({ name: here('bus', name), resource: id, what });
    };
    if (r.Type === 'AWS::Events::Rule') {
      bus('the rule’s bus', p.EventBusName);
      for (const t of (p.Targets ?? []) as Json[]) {
        byArn(
          id,
          `target ${String(t.Id)}'s dead-letter queue`,
          (t.DeadLetterConfig as Json | undefined)?.Arn,
        );
        byArn(id, `target ${String(t.Id)}'s role`, t.RoleArn);
      }
    }
    if (r.Type === 'AWS::Events::EventBusPolicy') bus('the policy’s bus', p.EventBusName);
    if (r.Type === 'AWS::Events::Archive') byArn(id, 'the archived bus', p.SourceArn);
    if (r.Type === 'AWS::Lambda::Function') {
      const bucket = resolve((p.Code as Json | undefined)?.S3Bucket, placed);
      if (bucket)
        refs.push({
          name: { kind: 'bucket', account: '*', region: '*', name: bucket },
          resource: id,
          what: 'the code bucket',
        });
    }
  }
  if (placed.serviceRoleName)
    refs.push({
      name: here('role', placed.serviceRoleName),
      resource: '*',
      what: 'the stack’s service role',
    });
  return refs;
}

/** The stack set templates (by template name) whose instances `name`'s must wait for, both ways. */
function stackSetWaits(stackSets: RenderedTemplate): Map<string, Set<string>> {
  const resources = (stackSets.template.Resources ?? {}) as Record<
    string,
    Resource & { DependsOn?: unknown }
  >;
  const templateOf = (logicalId: string): string | undefined => {
    const url = resources[logicalId]?.Properties?.TemplateURL;
    const match =
      typeof url === 'string' ? /\/templates\/(.+)-[0-9a-f]{16}\.template\.json$/.exec(url) : null;
    return match?.[1];
  };
  const waits = new Map<string, Set<string>>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::CloudFormation::StackSet') continue;
    const name = templateOf(id);
    if (!name) continue;
    // AutoDeployment.DependsOn by GetAtt: later accounts wait, and CloudFormation orders the
    // first creation by the reference. An ARN written out would order nothing at creation.
    const auto = (r.Properties?.AutoDeployment as Json | undefined)?.DependsOn ?? [];
    const others = Object.keys(resources).filter((other) =>
      JSON.stringify(auto).includes(`"Fn::GetAtt":["${other}",`),
    );
    waits.set(name, new Set(others.flatMap((other) => templateOf(other) ?? [])));
  }
  return waits;
}

/**
 * The deployment as waves of placed templates: each bootstrap phase, with the instances of the
 * stack sets expanded into it (and into following waves when a stack set waits for another).
 */
export function deploymentWaves(
  steps: readonly DeployStep[],
  templates: readonly RenderedTemplate[],
  stackSetAccounts: (placement: { accounts: 'all' | 'members' }) => readonly string[],
): Placed[][] {
  const byName = new Map(templates.map((t) => [t.name, t]));
  const waves: Placed[][] = [];
  for (const phase of deployPhases(steps)) {
    const wave: Placed[] = [];
    const later: Placed[][] = [];
    for (const step of phase) {
      const template = byName.get(step.template);
      if (!template) continue;
      wave.push({
        template,
        accountId: step.accountId,
        region: step.region,
        stackName: step.stackName,
        ...(step.serviceRoleName ? { serviceRoleName: step.serviceRoleName } : {}),
      });
      if (step.template !== 'stack-sets') continue;
      // Instances: a stack set waiting for others goes one wave after the deepest of them.
      const waits = stackSetWaits(template);
      const depth = (name: string, seen = new Set<string>()): number =>
        seen.has(name)
          ? 0
          : Math.max(0, ...[...(waits.get(name) ?? [])].map((d) => 1 + depth(d, new Set([...seen, name]))));
      for (const set of templates.filter((t) => t.placement.type === 'stack-set')) {
        if (set.placement.type !== 'stack-set' || !waits.has(set.name)) continue;
        const d = depth(set.name);
        if (d > 0) later[d - 1] ??= [];
        const into = d === 0 ? wave : (later[d - 1] as Placed[]);
        for (const accountId of stackSetAccounts(set.placement))
          into.push({
            template: set,
            accountId,
            region: set.placement.region,
            stackName: set.placement.stackName,
          });
      }
    }
    waves.push(wave, ...later.filter(Boolean));
  }
  return waves;
}

/** OB-REF-1 findings of a deployment given as waves (deploymentWaves). */
export function checkReferences(waves: readonly (readonly Placed[])[]): Finding[] {
  const findings: Finding[] = [];
  const earlier = new Set<string>();
  for (const wave of waves) {
    const createdNow: string[] = [];
    for (const placed of wave) {
      const own = new Set(creates(placed).map(keyOf));
      for (const ref of references(placed)) {
        const key = keyOf(ref.name);
        if (own.has(key) || earlier.has(key)) continue;
        const where = ref.name.kind === 'bucket' ? '' : ` in ${ref.name.account} ${ref.name.region}`;
        findings.push({
          rule: REFERENCE_RULE,
          severity: 'error',
          template: placed.template.name,
          resource: ref.resource,
          message: `${ref.what}, ${ref.name.kind} ${ref.name.name}${where}, is created by no earlier bootstrap phase and not by stack ${placed.stackName} itself (${placed.accountId} ${placed.region}, phase ${phaseOf(placed.template.name)})`,
        });
      }
      createdNow.push(...own);
    }
    for (const key of createdNow) earlier.add(key);
  }
  return findings;
}

/** OB-REF-1 over the deployment `run --action bootstrap` would make of these templates. */
export function checkDeploymentReferences(input: DeploymentInput): Finding[] {
  const { inputs } = input;
  const kinds = accountKinds(inputs.config);
  const management = inputs.accountIds[inputs.config.organization.accounts.management];
  const accounts = Object.entries(inputs.accountIds);
  // Service-managed stack sets never deploy to the management account.
  const stackSetAccounts = ({ accounts: which }: { accounts: 'all' | 'members' }) =>
    accounts
      .filter(([key, id]) => id !== management && (which === 'all' || kinds.get(key) === 'member'))
      .map(([, id]) => id)
      .sort();
  return checkReferences(deploymentWaves(deploySteps(input), input.templates, stackSetAccounts));
}
