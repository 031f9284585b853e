import type { ChaosFigures } from '../../support/chaos-report.js';
import { type AuditedEvent, deliveredEvents, missingFromAudit, type World } from './world.js';

/**
 * Every event is audited: each event a handler queue received through the buses, and each answer
 * a handler put back, must have its copy in the audit account's queue (the topology copies an
 * event to the audit bus at its destination). Call it after the other scenarios of a world; it
 * drains the audit queue, so call it once.
 */
export async function runAuditCheck(
  world: World,
): Promise<{ figures: Partial<ChaosFigures>; missing: AuditedEvent[]; audited: number; delivered: number }> {
  const audited = await world.drainAudit();
  const delivered = deliveredEvents(world);
  const missing = missingFromAudit(delivered, audited);
  return {
    figures: {
      eventsDelivered: delivered.length,
      eventsAudited: audited.length,
      eventsMissingFromAudit: missing.length,
    },
    missing: missing.slice(0, 20),
    audited: audited.length,
    delivered: delivered.length,
  };
}
