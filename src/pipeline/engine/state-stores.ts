import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from '../../aws/clients.js';
import { AwsOperationError } from '../../errors.js';
import { type CompletionStore, DocumentCompletionStore } from './dag.js';

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
