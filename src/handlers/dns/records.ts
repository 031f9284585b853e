import { z } from 'zod';
import { authorizeDnsRecord, type DnsAuthorization, normaliseDnsName } from './authorize.js';
import type { HostedZone, RecordSet } from './ports.js';
import { type DnsPorts, readAccountDnsPermissions } from './zones.js';

/**
 * The DNS account's record handlers: DNS_CREATE_ALIAS and DNS_CREATE_VALIDATION_RECORD. Any
 * account of the organization may send them; each record is checked against the sender's zone
 * and allowed domains (SSM parameters written by the pipeline), written with UPSERT (so a
 * redelivered event changes nothing) and rate-limited to Route 53's 5 requests/s. A refused or
 * failed request is logged and answered with REQUEST_FAILED.
 */

const DnsName = z.string().min(1).max(255);

export const DnsCreateAliasDetailSchema = z
  .object({
    /** The record name, e.g. `api.payments.aws.example.com`. */
    name: DnsName,
    type: z.enum(['A', 'AAAA', 'CNAME']).default('A'),
    /** An alias to an AWS resource (load balancer, CloudFront, API Gateway, ...). */
    alias: z
      .object({
        dnsName: DnsName,
        hostedZoneId: z.string().min(1).max(32),
        evaluateTargetHealth: z.boolean().default(false),
      })
      .optional(),
    /** Or plain values (addresses, or the one target of a CNAME). */
    values: z.array(z.string().min(1).max(4000)).min(1).max(100).optional(),
    ttl: z.number().int().min(0).max(604_800).optional(),
  })
  .refine((d) => (d.alias === undefined) !== (d.values === undefined), {
    message: 'give either `alias` or `values`, not both or neither',
  })
  .refine((d) => d.type !== 'CNAME' || d.alias !== undefined || d.values?.length === 1, {
    message: 'a CNAME record has exactly one value',
  });
export type DnsCreateAliasDetail = z.infer<typeof DnsCreateAliasDetailSchema>;

export const DnsCreateValidationRecordDetailSchema = z.object({
  /** The CNAME name ACM asks for, e.g. `_3639ac514e785e898d2646601fa951d5.api.example.com.` */
  name: DnsName,
  /** Its value, e.g. `_98d2646601fa951d5.acm-validations.aws.` */
  value: DnsName,
  ttl: z.number().int().min(0).max(604_800).optional(),
});
export type DnsCreateValidationRecordDetail = z.infer<typeof DnsCreateValidationRecordDetailSchema>;

export const DNS_REQUESTS = ['DNS_CREATE_ALIAS', 'DNS_CREATE_VALIDATION_RECORD'] as const;
export type DnsRequestType = (typeof DNS_REQUESTS)[number];

/** The part of an incoming event the handlers read (the runtime's transformed envelope). */
export interface DnsRequestEvent {
  /** The sending account, from the envelope (never from the detail: a sender can't forge it). */
  readonly account: string;
  readonly detail: unknown;
}

export type DnsFailureCode =
  | 'DNS_INVALID_REQUEST'
  | 'DNS_UNKNOWN_ACCOUNT'
  | 'DNS_RECORD_NOT_ALLOWED'
  | 'DNS_NO_HOSTED_ZONE'
  | 'DNS_ROUTE53_FAILED';

export type DnsReply =
  | {
      readonly detailType: 'DNS_RECORD_UPSERTED';
      readonly detail: {
        readonly name: string;
        readonly type: string;
        readonly zone: string;
        readonly zoneId: string;
      };
    }
  | {
      readonly detailType: 'REQUEST_FAILED';
      readonly detail: {
        readonly request: DnsRequestType;
        readonly code: DnsFailureCode;
        readonly message: string;
      };
    };

export interface DnsLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface DnsRecordHandlerOptions extends DnsPorts {
  /** `dns_parent_domain`: names under it are only writable inside the sender's own zone. */
  readonly parentDomain: string | undefined;
  readonly logger: DnsLogger;
}

export interface DnsRecordHandlers {
  createAlias(event: DnsRequestEvent): Promise<DnsReply>;
  createValidationRecord(event: DnsRequestEvent): Promise<DnsReply>;
}

/** Built once per handler instance: the zone cache lives as long as the instance. */
export function dnsRecordHandlers(options: DnsRecordHandlerOptions): DnsRecordHandlers {
  const zones = new Map<string, HostedZone | null>();

  const findZone = async (name: string): Promise<HostedZone | undefined> => {
    const cached = zones.get(name);
    if (cached !== undefined) return cached ?? undefined;
    await options.bucket.take();
    const zone = await options.route53.findPublicZone(name);
    zones.set(name, zone ?? null);
    return zone;
  };

  /**
   * The hosted zone a record goes to: the sender's own zone exactly (never the parent zone above
   * it), or for an allowed domain the closest hosted zone at or above the record name.
   */
  const zoneFor = async (
    grant: Extract<DnsAuthorization, { allowed: true }>,
  ): Promise<HostedZone | undefined> => {
    if (grant.via === 'own-zone') return findZone(grant.grantedBy);
    const labels = grant.name.split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const zone = await findZone(labels.slice(i).join('.'));
      if (zone) return zone;
    }
    return undefined;
  };

  const fail = (
    request: DnsRequestType,
    code: DnsFailureCode,
    message: string,
    event: DnsRequestEvent,
  ): DnsReply => {
    options.logger.warn(`${request} refused: ${message}`, {
      code,
      sender: event.account,
      detail: event.detail,
    });
    return { detailType: 'REQUEST_FAILED', detail: { request, code, message } };
  };

  const write = async (
    request: DnsRequestType,
    event: DnsRequestEvent,
    record: Omit<RecordSet, 'name'> & { name: string; type: 'A' | 'AAAA' | 'CNAME' },
  ): Promise<DnsReply> => {
    const permissions = await readAccountDnsPermissions(options.parameters, event.account);
    if (permissions.zone === undefined && permissions.allowedDomains.length === 0) {
      return fail(
        request,
        'DNS_UNKNOWN_ACCOUNT',
        `account ${event.account} has no DNS zone or allowed domains in this DNS account (is it in accounts.yml and has the pipeline run?)`,
        event,
      );
    }
    const verdict = authorizeDnsRecord({
      senderAccountId: event.account,
      senderZone: permissions.zone,
      allowedDomains: permissions.allowedDomains,
      parentDomain: options.parentDomain,
      name: record.name,
      type: record.type,
    });
    if (!verdict.allowed) return fail(request, 'DNS_RECORD_NOT_ALLOWED', verdict.reason, event);
    const zone = await zoneFor(verdict);
    if (!zone) {
      return fail(
        request,
        'DNS_NO_HOSTED_ZONE',
        `no public hosted zone for ${verdict.name} in the DNS account (looked for ${verdict.via === 'own-zone' ? verdict.grantedBy : `${verdict.grantedBy} and its parents`})`,
        event,
      );
    }
    try {
      await options.bucket.take();
      await options.route53.upsert(zone.id, { ...record, name: verdict.name });
    } catch (e) {
      return fail(request, 'DNS_ROUTE53_FAILED', (e as Error).message, event);
    }
    options.logger.info(`${request}: upserted ${record.type} ${verdict.name}`, {
      sender: event.account,
      zone: zone.name,
      via: verdict.via,
    });
    return {
      detailType: 'DNS_RECORD_UPSERTED',
      detail: { name: verdict.name, type: record.type, zone: zone.name, zoneId: zone.id },
    };
  };

  const invalid = (request: DnsRequestType, error: z.ZodError, event: DnsRequestEvent): DnsReply =>
    fail(
      request,
      'DNS_INVALID_REQUEST',
      error.issues.map((i) => `${i.path.join('.') || 'detail'}: ${i.message}`).join('; '),
      event,
    );

  return {
    async createAlias(event) {
      const parsed = DnsCreateAliasDetailSchema.safeParse(event.detail);
      if (!parsed.success) return invalid('DNS_CREATE_ALIAS', parsed.error, event);
      const d = parsed.data;
      return write('DNS_CREATE_ALIAS', event, {
        name: d.name,
        type: d.type,
        ...(d.alias
          ? { alias: { ...d.alias, dnsName: normaliseDnsName(d.alias.dnsName) } }
          : { values: d.values ?? [], ttl: d.ttl ?? 300 }),
      });
    },
    async createValidationRecord(event) {
      const parsed = DnsCreateValidationRecordDetailSchema.safeParse(event.detail);
      if (!parsed.success) return invalid('DNS_CREATE_VALIDATION_RECORD', parsed.error, event);
      const d = parsed.data;
      return write('DNS_CREATE_VALIDATION_RECORD', event, {
        name: d.name,
        type: 'CNAME',
        values: [normaliseDnsName(d.value)],
        ttl: d.ttl ?? 300,
      });
    },
  };
}
