import type { MessagingLog } from '../../bus/log.js';
import type { Detail, ReplyBody } from '../../protocol/catalog.js';
import { DNS_HANDLER_INSTANCES } from '../../protocol/names.js';
import { systemClock } from '../accounts/lifecycle.js';
import { awsErrorName } from '../accounts/ports.js';
import { type HandlerContext, type HandlerRegistration, RequestRejected } from '../types.js';
import { authorizeDnsRecord, type DnsAuthorization, normaliseDnsName } from './authorize.js';
import { type HostedZone, type RecordSet, route53Port, ssmParameterPort } from './ports.js';
import { route53Bucket } from './rate-limit.js';
import { accountZoneBatch } from './zone-batch.js';
import { type DnsPorts, domainOwnerParameter, readAccountDnsPermissions } from './zones.js';

/**
 * The DNS account's record handlers: DNS_CREATE_ALIAS and DNS_CREATE_VALIDATION_RECORD. Any
 * account of the organization may send them; each record is checked against the sender's zone
 * and allowed domains (SSM parameters written by the pipeline), written with UPSERT (so a
 * redelivered event changes nothing) and rate-limited to Route 53's 5 requests/s. A refused
 * request is logged and thrown as RequestRejected, which the runtime answers with
 * REQUEST_FAILED and never retries.
 */

export type DnsFailureCode =
  | 'DNS_UNKNOWN_ACCOUNT'
  | 'DNS_RECORD_NOT_ALLOWED'
  | 'DNS_NO_HOSTED_ZONE'
  | 'DNS_RECORD_REFUSED';

/**
 * ChangeResourceRecordSets' answers to a record that cannot be written as asked, whatever the
 * number of attempts (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html#API_ChangeResourceRecordSets_Errors):
 * InvalidChangeBatch (e.g. a CNAME where the name holds other records, an alias target Route 53
 * does not accept) and InvalidInput. A request that meets one is refused, not retried: a retry
 * would fail the same way five times and leave the message in the DNS account's dead-letter
 * queue, where any member could keep such messages coming and hide real failures.
 */
const ROUTE53_REFUSALS: ReadonlySet<string> = new Set(['InvalidChangeBatch', 'InvalidInput']);

export interface DnsRecordWritten {
  readonly name: string;
  readonly type: RecordSet['type'];
  readonly zone: string;
  readonly zoneId: string;
}

export interface DnsRecordWriterDeps extends DnsPorts {
  readonly log: MessagingLog;
}

export interface DnsRecordWriter {
  /** Writes `record` for `senderAccountId` or throws RequestRejected. */
  write(
    request: 'DNS_CREATE_ALIAS' | 'DNS_CREATE_VALIDATION_RECORD',
    senderAccountId: string,
    record: RecordSet & { type: 'A' | 'AAAA' | 'CNAME' },
  ): Promise<DnsRecordWritten>;
}

/** One per handler instance: the zone lookups are cached as long as the instance lives. */
export function dnsRecordWriter(deps: DnsRecordWriterDeps): DnsRecordWriter {
  const zones = new Map<string, HostedZone | null>();

  const findZone = async (name: string): Promise<HostedZone | undefined> => {
    const cached = zones.get(name);
    if (cached !== undefined) return cached ?? undefined;
    await deps.bucket.take();
    const zone = await deps.route53.findPublicZone(name);
    zones.set(name, zone ?? null);
    return zone;
  };

  /**
   * The hosted zone a record goes to: the sender's own zone exactly (never the parent zone above
   * it), or for an allowed domain the closest hosted zone at or above the record name.
   */
  const zoneFor = async (grant: Extract<DnsAuthorization, { allowed: true }>) => {
    if (grant.via === 'own-zone') return findZone(grant.grantedBy);
    const labels = grant.name.split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const zone = await findZone(labels.slice(i).join('.'));
      if (zone) return zone;
    }
    return undefined;
  };

  return {
    async write(request, sender, record) {
      const refuse = (code: DnsFailureCode, message: string): never => {
        deps.log.warn(`${request} refused: ${message}`, {
          code,
          sender,
          name: record.name,
          type: record.type,
        });
        throw new RequestRejected(code, message);
      };
      const permissions = await readAccountDnsPermissions(deps.parameters, sender);
      if (permissions.zone === undefined && permissions.allowedDomains.length === 0) {
        refuse(
          'DNS_UNKNOWN_ACCOUNT',
          `account ${sender} has no DNS zone or allowed domains in this DNS account (is it in accounts.yml, and has the pipeline run?)`,
        );
      }
      const verdict = authorizeDnsRecord({
        senderAccountId: sender,
        senderZone: permissions.zone,
        allowedDomains: permissions.allowedDomains,
        parentDomain: permissions.parentDomain,
        name: record.name,
        type: record.type,
      });
      if (!verdict.allowed) return refuse('DNS_RECORD_NOT_ALLOWED', verdict.reason);
      if (verdict.via === 'allowed-domain') {
        const owner = domainOwnerParameter(verdict.grantedBy);
        const ownedBy = (await deps.parameters.getMany([owner])).get(owner);
        if (ownedBy !== undefined && ownedBy !== sender) {
          return refuse(
            'DNS_RECORD_NOT_ALLOWED',
            `${verdict.grantedBy} is an allowed domain of account ${ownedBy} now, not of ${sender} (its allowed_dns_domains moved)`,
          );
        }
      }
      const zone = await zoneFor(verdict);
      if (!zone) {
        return refuse(
          'DNS_NO_HOSTED_ZONE',
          `no public hosted zone for ${verdict.name} in the DNS account (looked for ${verdict.via === 'own-zone' ? verdict.grantedBy : `${verdict.grantedBy} and the zones above it`})`,
        );
      }
      await deps.bucket.take();
      try {
        await deps.route53.upsert(zone.id, { ...record, name: verdict.name });
      } catch (e) {
        if (!ROUTE53_REFUSALS.has(awsErrorName(e) ?? '')) throw e;
        return refuse(
          'DNS_RECORD_REFUSED',
          `Route 53 refused ${record.type} ${verdict.name}: ${(e as Error).message}`,
        );
      }
      deps.log.info(`${request}: upserted ${record.type} ${verdict.name}`, {
        sender,
        zone: zone.name,
        via: verdict.via,
      });
      return { name: verdict.name, type: record.type, zone: zone.name, zoneId: zone.id };
    },
  };
}

/** The A alias of a DNS_CREATE_ALIAS request. */
export function aliasRecord(detail: Detail<'DNS_CREATE_ALIAS'>): RecordSet & { type: 'A' } {
  return {
    name: detail.name,
    type: 'A',
    alias: {
      dnsName: normaliseDnsName(detail.alias_target.dns_name),
      hostedZoneId: detail.alias_target.hosted_zone_id,
      evaluateTargetHealth: detail.evaluate_target_health ?? false,
    },
  };
}

/** The CNAME ACM asks for, from a DNS_CREATE_VALIDATION_RECORD request. */
export function validationRecord(
  detail: Detail<'DNS_CREATE_VALIDATION_RECORD'>,
): RecordSet & { type: 'CNAME' } {
  return { name: detail.name, type: 'CNAME', ttl: 300, values: [normaliseDnsName(detail.value)] };
}

const completed = (
  request: 'DNS_CREATE_ALIAS' | 'DNS_CREATE_VALIDATION_RECORD',
  written: DnsRecordWritten,
): ReplyBody<'REQUEST_COMPLETED'> => ({
  request_type: request,
  // UPSERT does not say whether the record changed; it is in place either way.
  changed: true,
  summary: { name: written.name, type: written.type, zone: written.zone },
});

/**
 * The DNS ports of one handler instance, by the clients it uses: one token bucket for every
 * Route 53 call of the instance (records and zones alike), so the instance stays under 5/s.
 */
const instancePorts = new WeakMap<HandlerContext['clients'], DnsPorts>();
export function dnsPortsFor(clients: HandlerContext['clients']): DnsPorts {
  let ports = instancePorts.get(clients);
  if (!ports) {
    const route53 = route53Port(clients.route53());
    // In Lambda (which sets AWS_LAMBDA_FUNCTION_NAME in every function,
    // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
    // up to DNS_HANDLER_INSTANCES instances run, each with a bucket of its own; elsewhere (the
    // local runtime, one process) this one bucket serves every request.
    const bucket = route53Bucket(
      systemClock,
      process.env.AWS_LAMBDA_FUNCTION_NAME ? DNS_HANDLER_INSTANCES : 1,
    );
    ports = {
      route53,
      parameters: ssmParameterPort(clients.ssm()),
      bucket,
      batch: accountZoneBatch(route53, bucket),
    };
    instancePorts.set(clients, ports);
  }
  return ports;
}

/** Writers by the clients they use: one zone cache per handler instance. */
const writers = new WeakMap<HandlerContext['clients'], DnsRecordWriter>();
function writerFor(ctx: HandlerContext): DnsRecordWriter {
  let writer = writers.get(ctx.clients);
  if (!writer) {
    writer = dnsRecordWriter({ ...dnsPortsFor(ctx.clients), log: ctx.log });
    writers.set(ctx.clients, writer);
  }
  return writer;
}

export const dnsCreateAliasHandler: HandlerRegistration<'DNS_CREATE_ALIAS'> = {
  async handle(detail, ctx) {
    const written = await writerFor(ctx).write('DNS_CREATE_ALIAS', ctx.sender.id, aliasRecord(detail));
    return completed('DNS_CREATE_ALIAS', written);
  },
};

export const dnsCreateValidationRecordHandler: HandlerRegistration<'DNS_CREATE_VALIDATION_RECORD'> = {
  async handle(detail, ctx) {
    const written = await writerFor(ctx).write(
      'DNS_CREATE_VALIDATION_RECORD',
      ctx.sender.id,
      validationRecord(detail),
    );
    return completed('DNS_CREATE_VALIDATION_RECORD', written);
  },
};
