import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from '../../aws/clients.js';
import { AwsOperationError } from '../../errors.js';
import { type CompletionStore, DocumentCompletionStore, fileCompletionStore } from './dag.js';

/**
 * The pipeline's completion store in AWS: one JSON object in the cicd account's artifact bucket
 * (versioned, so a bad write can be rolled back). Not SSM: a standard parameter holds 4 KB, and
 * one parameter per step would hit the 10,000-parameters-per-region quota near 2,000 accounts.
 */
export function s3CompletionStore(client: Client<S3Client>, bucket: string, key: string): CompletionStore {
  const location = `s3://${bucket}/${key}`;
  return new DocumentCompletionStore(location, {
    async read() {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body?.transformToString('utf8');
      } catch (e) {
        if (e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound')) return undefined;
        throw new AwsOperationError(`reading the pipeline state ${location}`, e);
      }
    },
    async write(text) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json' }),
        );
      } catch (e) {
        throw new AwsOperationError(`writing the pipeline state ${location}`, e);
      }
    },
  });
}

/** Object key of the provisioning pipeline's state in the artifact bucket. */
export const PIPELINE_STATE_KEY = 'state/pipeline.json';

/**
 * The provisioning pipeline's state, where `run --action pipeline` keeps it and `plan` reads it.
 * ORGBRIDGE_PIPELINE_STATE=file keeps it in `<config>/.orgbridge/pipeline-state.json` (the
 * default against an emulator, AWS_ENDPOINT_URL set; ORGBRIDGE_STATE_DIR moves the folder, which
 * `orgbridge local` does so a fresh emulator never meets an old run's state); otherwise it is an
 * object in the cicd account's artifact bucket.
 */
export function pipelineStateStore(options: {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly configDir: string;
  /** S3 of the cicd account in the home region, and its artifact bucket there. */
  readonly s3: () => Client<S3Client>;
  readonly bucket: string;
}): CompletionStore {
  const { env } = options;
  const local = (env.ORGBRIDGE_PIPELINE_STATE ?? (env.AWS_ENDPOINT_URL ? 'file' : 's3')) === 'file';
  return local
    ? fileCompletionStore(
        join(env.ORGBRIDGE_STATE_DIR ?? join(options.configDir, '.orgbridge'), 'pipeline-state.json'),
      )
    : s3CompletionStore(options.s3(), options.bucket, PIPELINE_STATE_KEY);
}
