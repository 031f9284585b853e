import {
  type Capability,
  DescribeStacksCommand,
  GetTemplateCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { AwsClients, Client } from '../aws/clients.js';
import type { ResolvedConfig } from '../config/model.js';
import { requireSpecialAccounts } from '../config/special-accounts.js';
import { AwsOperationError } from '../errors.js';
import { mapWithConcurrency } from '../handlers/accounts/ports.js';
import { dnsSuffixOf, roleArn } from '../partitions.js';
import {
  artifactBucketName,
  LAMBDA_BUNDLE_PREFIX,
  STACK_NAMES,
  TEMPLATE_PREFIX,
  templateKey,
} from '../protocol/names.js';
import type { LambdaBundle } from '../templates/bundles.js';
import type { DeployStep } from '../templates/deployment.js';
import { specialAccountIds, type TemplateInputs } from '../templates/inputs.js';
import { MONITORING_SINK_OUTPUT } from '../templates/stacks/monitoring.js';
import type { RenderedTemplate } from '../templates/synth.js';

/**
 * What orgbridge's stacks and artifacts look like in AWS, read the same way by the bootstrap
 * (src/pipeline/bootstrap.ts, before it deploys) and by its dry run and the plan
 * (src/pipeline/stack-changes.ts): the rendered templates and bundles, where they are uploaded,
 * which are there already, and whether a stack holds a given template.
 */
export interface Rendering {
  readonly inputs: TemplateInputs;
  readonly bundles: readonly LambdaBundle[];
  readonly templates: readonly RenderedTemplate[];
  readonly local: boolean;
}

/** One object per (artifact region, bundle). */
export function bundleUploads(rendering: Rendering): { bucket: string; key: string; bundle: LambdaBundle }[] {
  const cicd = rendering.inputs.accountIds[cicdKeyOf(rendering.inputs.config)] as string;
  return rendering.inputs.regions.flatMap((region) =>
    rendering.bundles.map((bundle) => ({
      bucket: artifactBucketName(cicd, region),
      key: bundle.key,
      bundle,
    })),
  );
}

/** Templates go to the home region's bucket, keyed by content hash (stack sets point at them). */
export function templateUploads(
  rendering: Rendering,
): { bucket: string; key: string; template: RenderedTemplate }[] {
  const { inputs } = rendering;
  const cicd = inputs.accountIds[cicdKeyOf(inputs.config)] as string;
  return rendering.templates.map((template) => ({
    bucket: artifactBucketName(cicd, inputs.homeRegion),
    key: templateKey(`${template.name}-${template.sha256.slice(0, 16)}`),
    template,
  }));
}

/** CloudFormation rejects inline bodies above 51,200 bytes; larger ones go by URL. */
const MAX_INLINE_TEMPLATE_BYTES = 51_200;

export async function describeStack(
  clients: AwsClients,
  region: string,
  name: string,
): Promise<Stack | undefined> {
  try {
    const out = await clients.cloudFormation(region).send(new DescribeStacksCommand({ StackName: name }));
    return out.Stacks?.[0];
  } catch (e) {
    if (e instanceof Error && /does not exist/.test(e.message)) return undefined;
    throw new AwsOperationError(`describing stack ${name}`, e);
  }
}

/**
 * The ARN of the audit account's monitoring sink (src/templates/stacks/monitoring.ts), from the
 * output of its handler stack; undefined until that stack has it. Any other failure (no access
 * to the audit account) is an error: rendering the links away would unlink every account.
 */
export async function monitoringSinkArnOf(
  management: AwsClients,
  inputs: TemplateInputs,
): Promise<string | undefined> {
  const audit = management.forAccount(specialAccountIds(inputs).audit);
  const stack = await describeStack(audit, inputs.homeRegion, STACK_NAMES.handlers);
  return stack?.Outputs?.find((o) => o.OutputKey === MONITORING_SINK_OUTPUT)?.OutputValue || undefined;
}

function sameTemplate(deployed: string | undefined, wanted: Readonly<Record<string, unknown>>): boolean {
  if (!deployed) return false;
  try {
    return JSON.stringify(JSON.parse(deployed)) === JSON.stringify(wanted);
  } catch {
    return false;
  }
}

/** The stack, template and parameters of a deploy: CreateStack/UpdateStack and change sets alike. */
export function stackRequest(step: DeployStep, template: RenderedTemplate, templateUrl: string | undefined) {
  const body =
    Buffer.byteLength(template.body) <= MAX_INLINE_TEMPLATE_BYTES || !templateUrl
      ? { TemplateBody: template.body }
      : { TemplateURL: templateUrl };
  return {
    StackName: step.stackName,
    ...body,
    Capabilities: ['CAPABILITY_NAMED_IAM'] as Capability[],
    ...(step.serviceRoleName ? { RoleARN: roleArn(step.region, step.accountId, step.serviceRoleName) } : {}),
    ...(step.parameters
      ? {
          Parameters: Object.entries(step.parameters).map(([ParameterKey, ParameterValue]) => ({
            ParameterKey,
            ParameterValue,
          })),
        }
      : {}),
  };
}

/**
 * True when the settled stack already has this template and these parameters: compared before
 * updating, cheaper than a no-op UpdateStack (and moto never answers "No updates are to be
 * performed"). The plan uses it too, before asking for a change set.
 */
export async function stackIsCurrent(
  clients: AwsClients,
  step: DeployStep,
  template: RenderedTemplate,
  existing: Stack,
): Promise<{ current: boolean; deployedBody?: string }> {
  const deployed = await clients
    .cloudFormation(step.region)
    .send(new GetTemplateCommand({ StackName: step.stackName }))
    .catch((e) => {
      throw new AwsOperationError(`reading the template of ${step.stackName}`, e);
    });
  const sameParameters = Object.entries(step.parameters ?? {}).every(([k, v]) =>
    existing.Parameters?.some((p) => p.ParameterKey === k && p.ParameterValue === v),
  );
  return {
    current: sameParameters && sameTemplate(deployed.TemplateBody, template.template),
    ...(deployed.TemplateBody !== undefined ? { deployedBody: deployed.TemplateBody } : {}),
  };
}

export type ArtifactAction = 'upload-lambdas' | 'render-templates' | 'bootstrap';

/**
 * Stacks deployed at once. Each stack of a phase is in another account or region (or, for the
 * forward shards, has its own name), so they are independent. In AWS a stack takes tens of
 * seconds of waiting, so 8 in flight; the emulator is one Python process that works on one
 * request at a time (its GIL), where more than 4 only queue (measured: docs/architecture.md).
 */
export const DEPLOY_CONCURRENCY = { aws: 8, emulator: 4 } as const;

/** Keys under `prefix` in the bucket; empty when it cannot be listed (the upload then says why). */
export async function existingKeys(s3: Client<S3Client>, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch {
    return [];
  }
  return keys;
}

/** Template name -> the URL of its uploaded copy (CloudFormation reads large templates from it). */
export function templateUrls(rendering: Rendering): Map<string, string> {
  const { homeRegion } = rendering.inputs;
  return new Map(
    templateUploads(rendering).map((u) => [
      u.template.name,
      `https://${u.bucket}.s3.${homeRegion}.${dnsSuffixOf(homeRegion)}/${u.key}`,
    ]),
  );
}

/** One object to upload to an artifact bucket. */
export interface ArtifactObject {
  readonly bucket: string;
  readonly key: string;
  readonly body: Uint8Array;
  readonly type: string;
}

export function bucketRegion(rendering: Rendering, bucket: string): string {
  return rendering.inputs.regions.find((r) => bucket.endsWith(`-${r}`)) ?? rendering.inputs.homeRegion;
}

/**
 * The bundles or templates of a rendering and those not yet in their bucket. Keys carry the
 * content hash: an object already there is this exact content.
 */
export async function missingArtifacts(
  rendering: Rendering,
  cicd: AwsClients,
  what: 'bundles' | 'templates',
  concurrency: number,
): Promise<{ items: ArtifactObject[]; missing: ArtifactObject[] }> {
  const items: ArtifactObject[] =
    what === 'bundles'
      ? bundleUploads(rendering).map((u) => ({
          bucket: u.bucket,
          key: u.key,
          body: u.bundle.zip,
          type: 'application/zip',
        }))
      : templateUploads(rendering).map((u) => ({
          bucket: u.bucket,
          key: u.key,
          body: Buffer.from(u.template.body),
          type: 'application/json',
        }));
  const prefix = what === 'bundles' ? LAMBDA_BUNDLE_PREFIX : TEMPLATE_PREFIX;
  const buckets = [...new Set(items.map((i) => i.bucket))];
  const present = new Set(
    (
      await mapWithConcurrency(buckets, concurrency, (bucket) =>
        existingKeys(cicd.s3(bucketRegion(rendering, bucket)), bucket, prefix),
      )
    ).flatMap((keys, i) => keys.map((key) => `${buckets[i]}/${key}`)),
  );
  return { items, missing: items.filter((item) => !present.has(`${item.bucket}/${item.key}`)) };
}

/** The cicd account's key: the artifact buckets and the pipeline live there. */
export function cicdKeyOf(config: Pick<ResolvedConfig, 'organization'>): string {
  return requireSpecialAccounts(config, 'bootstrap', ['cicd']).cicd;
}
