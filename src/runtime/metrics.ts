import type { AccountKind } from '../config/model.js';
import type { RecordOutcome } from './handle.js';

/**
 * What a handler counts per batch, for CloudWatch (namespace METRICS_NAMESPACE, docs/operations.md,
 * "Metrics"): requests handled, answered again as duplicates, rejected by reason, failed, by
 * detail-type and account kind. Never by account: at 5,000 accounts that dimension alone would
 * make thousands of metrics (CloudWatch bills each).
 */

export type MetricName = 'Handled' | 'Duplicate' | 'Rejected' | 'Failed';

export interface MetricPoint {
  readonly name: MetricName;
  /** AccountKind and DetailType always; Reason for Rejected. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly count: number;
}

/**
 * One point per metric and dimension set of the batch's outcomes, counts summed, in first-seen
 * order. A rejected event may have no readable detail-type: it counts as `unknown`.
 */
export function outcomeMetrics(kind: AccountKind, outcomes: readonly RecordOutcome[]): MetricPoint[] {
  const points = new Map<string, { name: MetricName; dimensions: Record<string, string>; count: number }>();
  const add = (name: MetricName, dimensions: Record<string, string>) => {
    const key = JSON.stringify([name, dimensions]);
    const point = points.get(key) ?? { name, dimensions, count: 0 };
    point.count++;
    points.set(key, point);
  };
  for (const outcome of outcomes) {
    const base = { AccountKind: kind, DetailType: outcome.type ?? 'unknown' };
    if (outcome.status === 'handled') add(outcome.duplicate ? 'Duplicate' : 'Handled', base);
    else if (outcome.status === 'rejected') add('Rejected', { ...base, Reason: outcome.code });
    else add('Failed', base);
  }
  return [...points.values()];
}

/** Where the points go: Powertools metrics (EMF on stdout) in Lambda; nothing elsewhere. */
export interface MetricsSink {
  emit(points: readonly MetricPoint[], batchDurationMs: number): void;
}
