import { describe, expect, it } from 'vitest';
import type { ArtifactRead, ArtifactReadPort } from '../../../src/handlers/policies/ports.js';
import { scpFilesOfRequest } from '../../../src/handlers/policies/sync.js';
import type { Detail, ScpFile } from '../../../src/protocol/catalog.js';
import { artifactBucketName, artifactObjectUrl, policyBundleKey } from '../../../src/protocol/names.js';
import { encodeScpBundle } from '../../../src/protocol/scp-bundle.js';

const CICD = '222222222222';
const REGION = 'eu-west-1';
const files: ScpFile[] = Array.from({ length: 45 }, (_, i) => ({
  name: `scp-${String(i).padStart(2, '0')}`,
  organization_unit: `Internal/Team${i % 12}`,
  content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"svc${i}:*","Resource":"*"}]}`,
}));
const bundle = encodeScpBundle(files);
const KEY = policyBundleKey(bundle.sha256);

/** An artifact bucket holding `objects` (bucket/key -> bytes), recording what is read. */
function bucket(objects: Record<string, string | Uint8Array>) {
  const reads: string[] = [];
  const port: ArtifactReadPort = {
    async getObject(b, key, maxBytes): Promise<ArtifactRead> {
      reads.push(`${b}/${key}`);
      const found = objects[`${b}/${key}`];
      if (found === undefined) return { status: 'missing' };
      const body = typeof found === 'string' ? new TextEncoder().encode(found) : found;
      return body.length > maxBytes ? { status: 'too-large', bytes: body.length } : { status: 'ok', body };
    },
  };
  return { port, reads };
}
const home = () => bucket({ [`${artifactBucketName(CICD, REGION)}/${KEY}`]: bundle.body });
const request = (over: Partial<Detail<'SYNC_SCPS'>> = {}): Detail<'SYNC_SCPS'> => ({
  nonce: '687754b2-abd6-4ae6-ae2d-f98bd134512e',
  dryrun: false,
  target_account: '111111111111',
  policies_url: artifactObjectUrl(CICD, REGION, KEY),
  sha256: bundle.sha256,
  count: bundle.count,
  ...over,
});
const source = (port: ArtifactReadPort, maxBytes?: number) => ({
  read: port,
  cicdAccountId: CICD,
  region: REGION,
  ...(maxBytes !== undefined ? { maxBytes } : {}),
});

describe('SYNC_SCPS: the files a request stands for', () => {
  it('are the inline files as sent, with nothing read', async () => {
    const { port, reads } = home();
    const { policies_url: _u, sha256: _s, count: _c, ...inline } = request();
    expect(await scpFilesOfRequest({ ...inline, policies: files.slice(0, 2) }, source(port))).toEqual(
      files.slice(0, 2),
    );
    expect(reads).toEqual([]);
  });

  it('are the bundle of the reference, read once from the cicd bucket of the home region', async () => {
    const { port, reads } = home();
    const got = await scpFilesOfRequest(request(), source(port));
    expect(got).toHaveLength(45);
    expect(new Set(got.map((f) => f.name))).toEqual(new Set(files.map((f) => f.name)));
    expect(reads).toEqual([`${artifactBucketName(CICD, REGION)}/${KEY}`]);
  });

  it.each([
    ['another bucket', `https://someone-elses-bucket.s3.${REGION}.amazonaws.com/${KEY}`],
    ["another account's artifact bucket", artifactObjectUrl('333333333333', REGION, KEY)],
    ['another region', artifactObjectUrl(CICD, 'us-east-1', KEY)],
    ['a prefix other than policies/', artifactObjectUrl(CICD, REGION, `templates/scp-${bundle.sha256}.json`)],
    [
      'a key that is not the hash of sha256',
      artifactObjectUrl(CICD, REGION, policyBundleKey('b'.repeat(64))),
    ],
    ['a version query', `${artifactObjectUrl(CICD, REGION, KEY)}?versionId=1`],
  ])('refuse %s without reading anything', async (_why, url) => {
    const { port, reads } = home();
    await expect(scpFilesOfRequest(request({ policies_url: url }), source(port))).rejects.toMatchObject({
      name: 'RequestRejected',
      code: 'SYNC_SCPS_BUNDLE_LOCATION',
    });
    expect(reads).toEqual([]);
  });

  it('refuse bytes that do not hash to sha256 (the object was replaced)', async () => {
    const tampered = bundle.body.replace('svc1:*', 'svc1:Get*');
    const { port } = bucket({ [`${artifactBucketName(CICD, REGION)}/${KEY}`]: tampered });
    await expect(scpFilesOfRequest(request(), source(port))).rejects.toMatchObject({
      code: 'SYNC_SCPS_BUNDLE_CHECKSUM',
    });
  });

  it('refuse a sha256 that is not the bundle’s, even at its own content-addressed key', async () => {
    const other = 'c'.repeat(64);
    const { port } = bucket({
      [`${artifactBucketName(CICD, REGION)}/${policyBundleKey(other)}`]: bundle.body,
    });
    await expect(
      scpFilesOfRequest(
        request({ sha256: other, policies_url: artifactObjectUrl(CICD, REGION, policyBundleKey(other)) }),
        source(port),
      ),
    ).rejects.toMatchObject({ code: 'SYNC_SCPS_BUNDLE_CHECKSUM' });
  });

  it('refuse a count that is not the bundle’s', async () => {
    const { port } = home();
    await expect(scpFilesOfRequest(request({ count: 44 }), source(port))).rejects.toMatchObject({
      code: 'SYNC_SCPS_BUNDLE_COUNT',
    });
  });

  it('refuse an object larger than the cap, and a missing one', async () => {
    const { port } = home();
    await expect(scpFilesOfRequest(request(), source(port, bundle.body.length - 1))).rejects.toMatchObject({
      code: 'SYNC_SCPS_BUNDLE_TOO_LARGE',
      message: expect.stringContaining(`is ${bundle.body.length} bytes`),
    });
    expect(await scpFilesOfRequest(request(), source(port, bundle.body.length))).toHaveLength(45);
    await expect(scpFilesOfRequest(request(), source(bucket({}).port))).rejects.toMatchObject({
      code: 'SYNC_SCPS_BUNDLE_MISSING',
    });
  });
});
