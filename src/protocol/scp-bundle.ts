import { createHash } from 'node:crypto';
import * as z from 'zod';
import { MAX_SCP_FILES, type ScpBundle, ScpBundleSchema, type ScpFile } from './catalog.js';

/**
 * The SCP bundle of SYNC_SCPS's reference form, as bytes: what the pipeline uploads and the
 * management handler verifies. Both sides go through here so they agree on the encoding.
 */
export interface EncodedScpBundle {
  /** UTF-8 JSON of {@link ScpBundleSchema}. */
  readonly body: string;
  /** SHA-256 of `body`'s UTF-8 bytes, lowercase hex: the object's key and the event's `sha256`. */
  readonly sha256: string;
  readonly count: number;
}

/**
 * Largest bundle the handler reads. 64 MiB holds thousands of maximum-size SCPs, far beyond a
 * real organization, and stays a fraction of the 512 MB handler's memory once parsed.
 */
export const MAX_SCP_BUNDLE_BYTES = 64 * 1024 * 1024;

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const byOuThenName = (a: ScpFile, b: ScpFile): number =>
  a.organization_unit < b.organization_unit
    ? -1
    : a.organization_unit > b.organization_unit
      ? 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0;

/**
 * Files in OU then name order (code-unit order, not the locale's), each with its keys in schema
 * order: the same set of files always gives the same bytes, hence the same content-addressed key.
 * The hash is over those bytes, so nothing depends on how a reader orders keys.
 */
export function encodeScpBundle(files: readonly ScpFile[]): EncodedScpBundle {
  const bundle: ScpBundle = {
    policies: [...files]
      .sort(byOuThenName)
      .map((f) => ({ name: f.name, organization_unit: f.organization_unit, content: f.content })),
  };
  const body = JSON.stringify(bundle);
  return { body, sha256: sha256Hex(body), count: bundle.policies.length };
}

export type ScpBundleCheck =
  | { readonly ok: true; readonly files: readonly ScpFile[] }
  | {
      readonly ok: false;
      readonly code: 'SYNC_SCPS_BUNDLE_CHECKSUM' | 'SYNC_SCPS_BUNDLE_INVALID' | 'SYNC_SCPS_BUNDLE_COUNT';
      readonly message: string;
    };

/**
 * Verifies bundle bytes against the event that named them (hash first: bytes that are not the
 * ones sent are not even parsed), then parses them with the inline form's file schema.
 */
export function decodeScpBundle(
  bytes: Uint8Array,
  expected: { readonly sha256: string; readonly count: number },
): ScpBundleCheck {
  const actual = sha256Hex(bytes);
  if (actual !== expected.sha256) {
    return {
      ok: false,
      code: 'SYNC_SCPS_BUNDLE_CHECKSUM',
      message: `the SCP bundle's SHA-256 is ${actual}, the event says ${expected.sha256}: not the bundle the pipeline sent`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return {
      ok: false,
      code: 'SYNC_SCPS_BUNDLE_INVALID',
      message: `the SCP bundle is not UTF-8 JSON: ${(e as Error).message}`,
    };
  }
  const parsed = ScpBundleSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'SYNC_SCPS_BUNDLE_INVALID',
      message:
        `the SCP bundle does not match its schema (at most ${MAX_SCP_FILES} files): ${z.prettifyError(parsed.error)}`.slice(
          0,
          2000,
        ),
    };
  }
  if (parsed.data.policies.length !== expected.count) {
    return {
      ok: false,
      code: 'SYNC_SCPS_BUNDLE_COUNT',
      message: `the SCP bundle has ${parsed.data.policies.length} files, the event says ${expected.count}`,
    };
  }
  return { ok: true, files: parsed.data.policies };
}
