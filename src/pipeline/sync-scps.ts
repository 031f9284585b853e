import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { Client } from '../aws/clients.js';
import { sdk } from '../aws/sdk.js';
import type { RequestBody, RequestClient } from '../bus/requests.js';
import type { PolicyDocument, PolicyLimits } from '../config/model.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';
import {
  type Detail,
  MAX_DETAIL_BYTES,
  MAX_INLINE_SCPS,
  MAX_SCP_CHARS,
  MAX_SCP_PER_TARGET,
  parseDetail,
  ScpBundleSchema,
  type ScpFile,
  type ScpLimits,
} from '../protocol/catalog.js';
import {
  artifactBucketName,
  artifactObjectUrl,
  POLICY_BUNDLE_EXPIRY_DAYS,
  policyBundleKey,
} from '../protocol/names.js';
import { encodeScpBundle } from '../protocol/scp-bundle.js';

/**
 * The cicd side of SYNC_SCPS: the complete set of SCP files goes to the management account in
 * one request, inline when it fits one event, else as a bundle uploaded to the artifact bucket
 * of the home region that the request refers to (docs/events.md, SYNC_SCPS). The set is never
 * split: the handler deletes a managed SCP whose file is missing from it.
 */

/** The artifact bucket calls the sender makes (cicd account, home region). */
export interface PolicyBundleStore {
  /** Whether `key` is there and stays long enough for the handler to read it. */
  exists(key: string): Promise<boolean>;
  put(key: string, body: string): Promise<void>;
}

/**
 * Whether an uploaded bundle may be referred to again rather than uploaded anew. The bucket
 * expires `policies/` POLICY_BUNDLE_EXPIRY_DAYS after an object's last write, and writing the
 * same bytes again restarts that clock: a request never refers to a bundle with less than a
 * day left.
 */
export function bundleReusable(lastModified: Date | undefined, now: Date): boolean {
  if (!lastModified) return false;
  return now.getTime() - lastModified.getTime() < (POLICY_BUNDLE_EXPIRY_DAYS - 1) * 24 * 3600_000;
}

export function s3PolicyBundleStore(
  client: Client<S3Client>,
  bucket: string,
  now: () => Date = () => new Date(),
): PolicyBundleStore {
  return {
    async exists(key) {
      try {
        const { HeadObjectCommand } = await sdk.s3();
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return bundleReusable(head.LastModified, now());
      } catch (e) {
        const name = (e as { name?: string }).name;
        if (name === 'NotFound' || name === 'NoSuchKey') return false;
        throw new AwsOperationError(`checking s3://${bucket}/${key}`, e);
      }
    },
    async put(key, body) {
      try {
        const { PutObjectCommand } = await sdk.s3();
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
        );
      } catch (e) {
        throw new AwsOperationError(`uploading the SCP bundle to s3://${bucket}/${key}`, e);
      }
    },
  };
}

/** The SCP files of the config, as SYNC_SCPS carries them. */
export function scpFilesOf(policies: readonly PolicyDocument[]): ScpFile[] {
  return policies
    .filter((p) => p.type === 'scp')
    .map((p) => ({ name: p.name, organization_unit: p.organization_unit, content: p.content }));
}

/**
 * The DSL's SCP quotas as SYNC_SCPS carries them. Values beyond the catalog's bounds (an SCP
 * file is at most 10,240 chars there) would check nothing more: they are capped, not refused.
 */
export function scpLimitsOf(limits: PolicyLimits): ScpLimits {
  return {
    scp_max_chars: Math.min(limits.scp_max_chars, MAX_SCP_CHARS),
    scp_per_target: Math.min(limits.scp_per_target, MAX_SCP_PER_TARGET),
  };
}

/** Envelope values of the largest size, so a body that fits here fits whatever the client adds. */
const WIDEST_ENVELOPE = {
  nonce: randomUUID(),
  dryrun: false,
  target_account: '000000000000',
  reply_to: '000000000000',
} as const;

/**
 * Whether the files travel inline: at most MAX_INLINE_SCPS, and the whole detail within
 * MAX_DETAIL_BYTES, the size every handler checks first (parseDetail). That limit leaves 4 KB of
 * the 256 KB entry for Source, DetailType and the bus name, so the entry is also under the
 * limit the bus sender enforces (`batchEntries`, EVENT_TOO_LARGE).
 */
export function scpsFitInline(files: readonly ScpFile[], limits?: ScpLimits): boolean {
  if (files.length > MAX_INLINE_SCPS) return false;
  const detail = { ...WIDEST_ENVELOPE, policies: files, ...(limits ? { limits } : {}) };
  return Buffer.byteLength(JSON.stringify(detail), 'utf8') <= MAX_DETAIL_BYTES;
}

function invalid(reason: string): OrgbridgeError {
  return new OrgbridgeError('SYNC_SCPS_INVALID', `the SCP files cannot be sent: ${reason}`, {
    source: 'user',
    hint: 'run orgbridge validate: it checks names and sizes of policies/scp',
  });
}

export type ScpsCarriage = 'inline' | 'uploaded' | 'already-uploaded';

export interface SyncScpsBody {
  readonly body: RequestBody<'SYNC_SCPS'>;
  readonly carriage: ScpsCarriage;
}

/**
 * The SYNC_SCPS body for `files`: inline when they fit, else a reference to their bundle,
 * uploaded first. The key is the bundle's SHA-256, so the upload is idempotent: an object that
 * already exists under it has these very bytes, and is not written again. `limits`, when given,
 * travel with either form (absent, the handler checks against AWS's default quotas).
 */
export async function syncScpsBody(
  files: readonly ScpFile[],
  where: { readonly store: PolicyBundleStore; readonly cicdAccountId: string; readonly homeRegion: string },
  limits?: ScpLimits,
): Promise<SyncScpsBody> {
  const withLimits = limits ? { limits } : {};
  if (scpsFitInline(files, limits)) {
    return { body: { policies: [...files], ...withLimits }, carriage: 'inline' };
  }
  // The handler parses the bundle with this schema: refuse here what it would refuse there.
  const valid = ScpBundleSchema.safeParse({ policies: files });
  if (!valid.success) throw invalid(z.prettifyError(valid.error));
  const bundle = encodeScpBundle(files);
  const key = policyBundleKey(bundle.sha256);
  let carriage: ScpsCarriage = 'already-uploaded';
  if (!(await where.store.exists(key))) {
    await where.store.put(key, bundle.body);
    carriage = 'uploaded';
  }
  return {
    body: {
      policies_url: artifactObjectUrl(where.cicdAccountId, where.homeRegion, key),
      sha256: bundle.sha256,
      count: bundle.count,
      ...withLimits,
    },
    carriage,
  };
}

export interface SyncScpsByEventOptions {
  /** The cicd account's request client (`cicdRequestClient`). */
  readonly client: RequestClient;
  /** Acting in the cicd account, in the home region (where the artifact bucket is). */
  readonly s3: Client<S3Client>;
  readonly managementAccountId: string;
  readonly homeRegion: string;
  readonly policies: readonly PolicyDocument[];
  /** `organization.limits` of the config: the handler plans with its SCP quotas. */
  readonly limits?: PolicyLimits;
  readonly dryrun: boolean;
  /** Sends `allow_mass_change` (`run --allow-mass-change`). */
  readonly allowMassChange?: boolean;
  /** Wait for the answer (default 5 min: the handler observes and applies the whole set). */
  readonly timeoutMs?: number;
}

export interface SyncScpsByEventResult {
  readonly carriage: ScpsCarriage;
  readonly reply: Detail<'REQUEST_COMPLETED'>;
}

/**
 * Sends SYNC_SCPS with every SCP file of the config to the management account and waits for its
 * answer; REQUEST_FAILED (e.g. SYNC_SCPS_BLOCKED) rejects with the remote code.
 */
export async function syncScpsByEvent(options: SyncScpsByEventOptions): Promise<SyncScpsByEventResult> {
  const cicdAccountId = options.client.topology.cicdAccountId;
  const { body, carriage } = await syncScpsBody(
    scpFilesOf(options.policies),
    {
      store: s3PolicyBundleStore(options.s3, artifactBucketName(cicdAccountId, options.homeRegion)),
      cicdAccountId,
      homeRegion: options.homeRegion,
    },
    options.limits ? scpLimitsOf(options.limits) : undefined,
  );
  // The catalog's own check, before anything is put on the bus.
  const check = parseDetail('SYNC_SCPS', { ...WIDEST_ENVELOPE, ...body });
  if (!check.ok) throw invalid(check.reason);
  const sent = options.allowMassChange ? { ...body, allow_mass_change: true } : body;
  const reply = await options.client.request('SYNC_SCPS', options.managementAccountId, sent, {
    dryrun: options.dryrun,
    timeoutMs: options.timeoutMs ?? 5 * 60_000,
  });
  return { carriage, reply };
}
