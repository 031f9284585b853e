import type { RequestBody } from '../../bus/requests.js';
import { OrgbridgeError } from '../../errors.js';
import type { HandlerResult } from '../provisioning/put-ssm-parameters.js';
import { type HandlerRegistration, RequestRejected } from '../types.js';
import { dnsPortsFor } from './records.js';
import {
  type DnsPorts,
  ensureAccountZone,
  exportAccountDnsParameters,
  readAccountDnsPermissions,
} from './zones.js';

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

/**
 * RELEASE_ACCOUNT_DNS, DNS account, sent by the cicd pipeline only, for an account it retired:
 * deletes the account's zone and allowed-domains parameters, so the record handlers refuse its
 * requests from then on (an unregistered sender, DNS_UNKNOWN_ACCOUNT). An account in the morgue
 * is still a member of the organization and could otherwise keep writing records under the
 * organization's domains until it is closed and leaves. The zone itself stays, with its records,
 * for an operator to remove: it may still serve what the account ran, and ensureAccountZone never
 * hands it to another account. Idempotent: a repeated request finds nothing left to delete.
 */
export async function releaseAccountDnsRequest(
  ports: Pick<DnsPorts, 'parameters'>,
  request: RequestBody<'RELEASE_ACCOUNT_DNS'>,
): Promise<HandlerResult> {
  const held = await readAccountDnsPermissions(ports.parameters, request.account_id);
  const registered = held.zone !== undefined || held.allowedDomains.length > 0;
  if (registered) await exportAccountDnsParameters(ports.parameters, request.account_id, undefined, []);
  return {
    changed: registered,
    summary: {
      account_id: request.account_id,
      released: String(registered),
      ...(held.zone ? { zone: held.zone } : {}),
      ...(held.allowedDomains.length ? { allowed_dns_domains: held.allowedDomains.join(',') } : {}),
    },
  };
}

export const releaseAccountDnsHandler: HandlerRegistration<'RELEASE_ACCOUNT_DNS'> = {
  async handle(detail, ctx) {
    const result = await releaseAccountDnsRequest(dnsPortsFor(ctx.clients), {
      account_id: detail.account_id,
    });
    ctx.log.info(
      `RELEASE_ACCOUNT_DNS: ${result.changed ? 'released' : 'nothing held by'} ${detail.account_id}`,
      {
        account: detail.account_id,
      },
    );
    return { request_type: 'RELEASE_ACCOUNT_DNS', ...result };
  },
};
