import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import {
  DeleteParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { Client } from '../../aws/clients.js';
import { AwsOperationError } from '../../errors.js';
import { awsErrorName } from '../accounts/ports.js';
import { normaliseDnsName } from './authorize.js';

/** A hosted zone, its id without the `/hostedzone/` prefix and its name without the trailing dot. */
export interface HostedZone {
  readonly id: string;
  readonly name: string;
  /** The zone's name servers, when the call that returned it carried them (CreateHostedZone). */
  readonly nameServers?: readonly string[];
  /** The CallerReference it was created with, when a listing returned it. */
  readonly callerReference?: string;
}

export interface AliasTarget {
  readonly dnsName: string;
  readonly hostedZoneId: string;
  readonly evaluateTargetHealth: boolean;
}

export interface RecordSet {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'CNAME' | 'NS';
  readonly ttl?: number;
  readonly values?: readonly string[];
  readonly alias?: AliasTarget;
}

/** One answer of ListHostedZonesByName: zones in Route 53's order, and where the next starts. */
export interface ZonePage {
  readonly zones: readonly (HostedZone & { readonly privateZone: boolean })[];
  /** The first zone of the next page, when there is one. */
  readonly next?: { readonly name: string; readonly id: string };
}

/** The Route 53 calls the DNS handlers make, in plain data. */
export interface Route53Port {
  /** The public hosted zone named exactly `name`, if the account has one. */
  findPublicZone(name: string): Promise<HostedZone | undefined>;
  /**
   * Up to 100 zones from `name` on, in Route 53's order (names sorted with their labels
   * reversed, so a zone and the zones under it come one after the other), or from `next`.
   */
  listZonesFrom(name: string, next?: ZonePage['next']): Promise<ZonePage>;
  createPublicZone(name: string, callerReference: string, comment: string): Promise<HostedZone>;
  nameServers(zoneId: string): Promise<string[]>;
  /** UPSERT: creates the record or replaces it; repeating it changes nothing. */
  upsert(zoneId: string, record: RecordSet): Promise<void>;
  /** UPSERTs of several records in one change batch: all applied, or none. */
  upsertMany(zoneId: string, records: readonly RecordSet[]): Promise<void>;
}

/** SSM parameters, the DNS account's copy of each account's DNS permissions. */
export interface ParameterPort {
  /** Values of the parameters that exist, by name. */
  getMany(names: readonly string[]): Promise<Map<string, string>>;
  put(name: string, value: string, type: 'String' | 'StringList'): Promise<void>;
  delete(name: string): Promise<void>;
}

async function call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new AwsOperationError(doing, e);
  }
}

const zoneId = (id: string | undefined): string => (id ?? '').replace(/^\/hostedzone\//, '');

export function route53Port(client: Client<Route53Client>): Route53Port {
  const port: Route53Port = {
    async findPublicZone(name) {
      const wanted = normaliseDnsName(name);
      const out = await call(`looking up hosted zone ${wanted}`, () =>
        client.send(new ListHostedZonesByNameCommand({ DNSName: `${wanted}.`, MaxItems: 10 })),
      );
      const zone = (out.HostedZones ?? []).find(
        (z) => normaliseDnsName(z.Name ?? '') === wanted && !z.Config?.PrivateZone,
      );
      return zone
        ? {
            id: zoneId(zone.Id),
            name: wanted,
            ...(zone.CallerReference ? { callerReference: zone.CallerReference } : {}),
          }
        : undefined;
    },
    async createPublicZone(name, callerReference, comment) {
      const out = await call(`creating hosted zone ${name}`, () =>
        client.send(
          new CreateHostedZoneCommand({
            Name: name,
            CallerReference: callerReference,
            HostedZoneConfig: { Comment: comment, PrivateZone: false },
          }),
        ),
      );
      // CreateHostedZone answers with the zone's delegation set: no GetHostedZone needed
      // (https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHostedZone.html).
      return {
        id: zoneId(out.HostedZone?.Id),
        name: normaliseDnsName(name),
        ...(out.DelegationSet?.NameServers?.length ? { nameServers: out.DelegationSet.NameServers } : {}),
      };
    },
    async nameServers(id) {
      const out = await call(`reading the name servers of hosted zone ${id}`, () =>
        client.send(new GetHostedZoneCommand({ Id: id })),
      );
      return out.DelegationSet?.NameServers ?? [];
    },
    async listZonesFrom(name, next) {
      const start = normaliseDnsName(next?.name ?? name);
      const out = await call(`listing hosted zones from ${start}`, () =>
        client.send(
          new ListHostedZonesByNameCommand({
            DNSName: `${start}.`,
            ...(next ? { HostedZoneId: next.id } : {}),
            MaxItems: 100,
          }),
        ),
      );
      return {
        zones: (out.HostedZones ?? []).map((z) => ({
          id: zoneId(z.Id),
          name: normaliseDnsName(z.Name ?? ''),
          privateZone: Boolean(z.Config?.PrivateZone),
          ...(z.CallerReference ? { callerReference: z.CallerReference } : {}),
        })),
        ...(out.IsTruncated && out.NextDNSName && out.NextHostedZoneId
          ? { next: { name: out.NextDNSName, id: zoneId(out.NextHostedZoneId) } }
          : {}),
      };
    },
    upsert: (id, record) => port.upsertMany(id, [record]),
    async upsertMany(id, records) {
      const what =
        records.length === 1
          ? `${records[0]?.type} ${records[0]?.name}`
          : `${records.length} records (${records.map((r) => `${r.type} ${r.name}`).join(', ')})`;
      await call(`upserting ${what} in hosted zone ${id}`, () =>
        client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: id,
            ChangeBatch: {
              Comment: 'orgbridge',
              Changes: records.map((record) => ({
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: record.name,
                  Type: record.type,
                  ...(record.alias
                    ? {
                        AliasTarget: {
                          DNSName: record.alias.dnsName,
                          HostedZoneId: record.alias.hostedZoneId,
                          EvaluateTargetHealth: record.alias.evaluateTargetHealth,
                        },
                      }
                    : {
                        TTL: record.ttl ?? 300,
                        ResourceRecords: (record.values ?? []).map((Value) => ({ Value })),
                      }),
                },
              })),
            },
          }),
        ),
      );
    },
  };
  return port;
}

/** GetParameters takes at most 10 names per call. */
const GET_PARAMETERS_BATCH = 10;

export function ssmParameterPort(client: Client<SSMClient>): ParameterPort {
  return {
    async getMany(names) {
      const values = new Map<string, string>();
      for (let i = 0; i < names.length; i += GET_PARAMETERS_BATCH) {
        const batch = names.slice(i, i + GET_PARAMETERS_BATCH);
        const out = await call(`reading SSM parameters ${batch.join(', ')}`, () =>
          client.send(new GetParametersCommand({ Names: [...batch] })),
        );
        for (const p of out.Parameters ?? [])
          if (p.Name && p.Value !== undefined) values.set(p.Name, p.Value);
      }
      return values;
    },
    async put(name, value, type) {
      await call(`writing SSM parameter ${name}`, () =>
        client.send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true })),
      );
    },
    async delete(name) {
      try {
        await client.send(new DeleteParameterCommand({ Name: name }));
      } catch (e) {
        if (awsErrorName(e) === 'ParameterNotFound') return;
        throw new AwsOperationError(`deleting SSM parameter ${name}`, e);
      }
    },
  };
}
