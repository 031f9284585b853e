import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FaultCounts } from './fault-proxy.js';

/**
 * The figures the reliability suite proves (issue 9, part 4). Scenarios add to one report; the
 * chaos run prints it as a table at the end and fails unless every "must be 0" row is 0.
 */
export interface ChaosFigures {
  /** Throttling answers and HTTP 500s the fault proxy sent instead of forwarding. */
  faultsThrottled: number;
  faultsServerErrors: number;
  /** The same faults, for the services whose wire formats differ most (REST-XML, query-XML). */
  faultsRoute53: number;
  faultsS3: number;
  faultsSts: number;
  /** Rounds in which every AssumeRole was refused until the outage ended. */
  stsOutages: number;
  /** Handler crashes injected mid-operation (a port that throws, like a Lambda killed there). */
  crashesInjected: number;
  /** Events delivered a second time on purpose (every duplicate of the double-delivery run). */
  duplicatesDelivered: number;
  /** Syncs and redeliveries run to completion under faults, and how many reached the desired state. */
  runsAttempted: number;
  runsConverged: number;
  /** Accounts present more than once for one desired account (by email). Must be 0. */
  accountsDuplicated: number;
  /** Hosted zones present more than once for one account zone name. Must be 0. */
  zonesDuplicated: number;
  /** Pipeline steps that finished but are not in the S3 state document afterwards. Must be 0. */
  stateEntriesLost: number;
  /** Uploaded templates missing from the artifact bucket, or with other content. Must be 0. */
  artifactsLost: number;
  /**
   * Account clients that failed, or acted in another account, once AssumeRole worked again
   * after failing (a credential cache poisoned by the failure). Must be 0.
   */
  credentialCachePoisoned: number;
  /** Handler executions beyond the first for one nonce (a duplicate that ran again). Must be 0. */
  handlerReruns: number;
  /** Forged events sent, and how many of them had their effect anyway. Executed must be 0. */
  forgedSent: number;
  forgedExecuted: number;
  /** Forged events stopped: by a bus policy, by the routing (no rule), or refused by the runtime. */
  forgedRejected: number;
  forgedByBusPolicy: number;
  forgedNotRouted: number;
  forgedByRuntime: number;
  /** Events delivered to a handler queue, events found in the audit queue, and the difference. */
  eventsDelivered: number;
  eventsAudited: number;
  eventsMissingFromAudit: number;
  /** Generated bad configurations, how many were refused with positioned errors, and crashes. */
  badConfigs: number;
  badConfigsRejected: number;
  badConfigErrorsWithoutPosition: number;
  configCrashes: number;
}

/** Rows that must read 0 for the suite to pass. */
export const MUST_BE_ZERO: readonly (keyof ChaosFigures)[] = [
  'accountsDuplicated',
  'zonesDuplicated',
  'stateEntriesLost',
  'artifactsLost',
  'credentialCachePoisoned',
  'handlerReruns',
  'forgedExecuted',
  'eventsMissingFromAudit',
  'badConfigErrorsWithoutPosition',
  'configCrashes',
];

const LABELS: Readonly<Record<keyof ChaosFigures, string>> = {
  faultsThrottled: 'faults injected: throttling',
  faultsServerErrors: 'faults injected: HTTP 500',
  faultsRoute53: '  of which into Route 53',
  faultsS3: '  of which into S3',
  faultsSts: '  of which into STS',
  stsOutages: 'STS outages (AssumeRole refused)',
  crashesInjected: 'handler crashes injected',
  duplicatesDelivered: 'events delivered twice',
  runsAttempted: 'runs under faults',
  runsConverged: 'runs converged',
  accountsDuplicated: 'accounts duplicated',
  zonesDuplicated: 'hosted zones duplicated',
  stateEntriesLost: 'pipeline steps lost from S3 state',
  artifactsLost: 'templates lost or altered in S3',
  credentialCachePoisoned: 'account clients broken after outage',
  handlerReruns: 'duplicate events executed again',
  forgedSent: 'forged events sent',
  forgedRejected: 'forged events stopped',
  forgedByBusPolicy: '  of which by a bus policy',
  forgedNotRouted: '  of which by the routing (no rule)',
  forgedByRuntime: '  of which refused by the runtime',
  forgedExecuted: 'forged events executed',
  eventsDelivered: 'events delivered (audited path)',
  eventsAudited: 'events in the audit queue',
  eventsMissingFromAudit: 'events missing from the audit log',
  badConfigs: 'bad configs generated',
  badConfigsRejected: 'bad configs rejected with file:line',
  badConfigErrorsWithoutPosition: 'config errors without file:line',
  configCrashes: 'config analyses that crashed',
};

/** The faults the proxy injected between two snapshots, as report figures. */
export function faultFigures(before: FaultCounts, after: FaultCounts): Partial<ChaosFigures> {
  const by = (service: string) => (after.byService[service] ?? 0) - (before.byService[service] ?? 0);
  return {
    faultsThrottled: after.throttled - before.throttled,
    faultsServerErrors: after.serverErrors - before.serverErrors,
    faultsRoute53: by('Route53'),
    faultsS3: by('S3'),
    faultsSts: by('STS'),
  };
}

export class ChaosReport {
  readonly figures: ChaosFigures = {
    faultsThrottled: 0,
    faultsServerErrors: 0,
    faultsRoute53: 0,
    faultsS3: 0,
    faultsSts: 0,
    stsOutages: 0,
    crashesInjected: 0,
    duplicatesDelivered: 0,
    runsAttempted: 0,
    runsConverged: 0,
    accountsDuplicated: 0,
    zonesDuplicated: 0,
    stateEntriesLost: 0,
    artifactsLost: 0,
    credentialCachePoisoned: 0,
    handlerReruns: 0,
    forgedSent: 0,
    forgedRejected: 0,
    forgedByBusPolicy: 0,
    forgedNotRouted: 0,
    forgedByRuntime: 0,
    forgedExecuted: 0,
    eventsDelivered: 0,
    eventsAudited: 0,
    eventsMissingFromAudit: 0,
    badConfigs: 0,
    badConfigsRejected: 0,
    badConfigErrorsWithoutPosition: 0,
    configCrashes: 0,
  };
  /** Seeds and sizes, so a failing run can be replayed. */
  readonly notes: string[] = [];

  add(figures: Partial<ChaosFigures>): void {
    for (const [key, value] of Object.entries(figures) as [keyof ChaosFigures, number][]) {
      this.figures[key] += value;
    }
  }

  /** The "must be 0" rows that are not. */
  violations(): string[] {
    return MUST_BE_ZERO.filter((k) => this.figures[k] !== 0).map(
      (k) => `${LABELS[k]} = ${this.figures[k]} (must be 0)`,
    );
  }

  /** A plain-text table (no colour: CI logs). */
  table(): string {
    const rows = (Object.keys(LABELS) as (keyof ChaosFigures)[]).map((k) => [
      LABELS[k],
      String(this.figures[k]),
      MUST_BE_ZERO.includes(k) ? (this.figures[k] === 0 ? 'ok (must be 0)' : 'FAIL (must be 0)') : '',
    ]);
    const header = ['figure', 'count', 'check'];
    const width = [0, 1, 2].map((i) => Math.max(...[header, ...rows].map((r) => (r[i] as string).length)));
    const line = (r: readonly string[]) =>
      `| ${(r[0] as string).padEnd(width[0] as number)} | ${(r[1] as string).padStart(width[1] as number)} | ${(r[2] as string).padEnd(width[2] as number)} |`;
    const rule = `|${'-'.repeat((width[0] as number) + 2)}|${'-'.repeat((width[1] as number) + 2)}|${'-'.repeat((width[2] as number) + 2)}|`;
    return [
      'orgbridge reliability suite',
      line(header),
      rule,
      ...rows.map(line),
      ...this.notes.map((n) => `  ${n}`),
    ].join('\n');
  }

  /** Writes the figures as JSON (docs/reliability.md quotes the latest run). */
  write(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      `${JSON.stringify({ at: new Date().toISOString(), figures: this.figures, notes: this.notes }, null, 2)}\n`,
    );
  }
}
