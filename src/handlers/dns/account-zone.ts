import type { RequestBody } from '../../bus/requests.js';
import { OrgbridgeError } from '../../errors.js';
import type { HandlerResult } from '../provisioning/put-ssm-parameters.js';
import { type HandlerRegistration, RequestRejected } from '../types.js';
import { dnsPortsFor } from './records.js';
import { type DnsPorts, ensureAccountZone } from './zones.js';

/**
 * ENSURE_ACCOUNT_ZONE, DNS account, sent by the cicd pipeline only: the account's zone
 * `<account_name>.<parent_domain>`, its NS delegation in the parent zone and its DNS permissions
 * (SSM parameters the record handlers authorize against). Idempotent by construction: a
 * redelivered or repeated request finds the zone and rewrites the same delegation and parameters.
 */

/** The request and its answer, shared by the handler and the pipeline's direct gateway. */
export async function ensureAccountZoneRequest(
  ports: DnsPorts,
  request: RequestBody<'ENSURE_ACCOUNT_ZONE'>,
): Promise<HandlerResult> {
  const result = await ensureAccountZone(ports, {
    accountId: request.account_id,
    accountName: request.account_name,
    parentDomain: request.parent_domain,
    allowedDomains: request.allowed_dns_domains,
  });
  return {
    // The delegation and parameters are upserts; only a new zone is a visible change.
    changed: result.created,
    summary: {
      zone: result.zone,
      zone_id: result.zoneId,
      created: String(result.created),
      name_servers: result.nameServers.join(','),
    },
  };
}

export const ensureAccountZoneHandler: HandlerRegistration<'ENSURE_ACCOUNT_ZONE'> = {
  async handle(detail, ctx) {
    const { account_id, account_name, parent_domain, allowed_dns_domains } = detail;
    try {
      const result = await ensureAccountZoneRequest(dnsPortsFor(ctx.clients), {
        account_id,
        account_name,
        parent_domain,
        allowed_dns_domains,
      });
      ctx.log.info(`ENSURE_ACCOUNT_ZONE: ${result.changed ? 'created' : 'kept'} ${result.summary.zone}`, {
        account: account_id,
      });
      return { request_type: 'ENSURE_ACCOUNT_ZONE', ...result };
    } catch (e) {
      // No parent zone, or a zone made for another account, is a setup mistake, not a transient
      // failure: answer at once, never retry.
      if (
        e instanceof OrgbridgeError &&
        (e.code === 'DNS_PARENT_ZONE_MISSING' || e.code === 'DNS_ZONE_OF_ANOTHER_ACCOUNT')
      ) {
        throw new RequestRejected(e.code, e.hint ? `${e.message}: ${e.hint}` : e.message);
      }
      throw e;
    }
  },
};
