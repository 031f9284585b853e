/**
 * The AWS SDK packages, each loaded on first use. A static import of every client package costs a
 * handler's cold start its whole budget (about 1 s for the thirteen orgbridge uses, EC2's alone
 * about half of that), and a handler needs two or three of them for a message, so each package
 * is one dynamic import, made once per process. The Lambda bundles leave the SDK out (the Node.js
 * runtimes ship it), and `src/templates/bundles.ts` keeps every static SDK import out of a
 * bundle's index.mjs (test/unit/templates/bundles.test.ts).
 */

/** One `import()` per process: concurrent first callers share it; a failed load is tried again. */
function once<M>(load: () => Promise<M>): () => Promise<M> {
  let loading: Promise<M> | undefined;
  return () => {
    loading ??= load().catch((e: unknown) => {
      loading = undefined;
      throw e;
    });
    return loading;
  };
}

export const sdk = {
  backup: once(() => import('@aws-sdk/client-backup')),
  cloudFormation: once(() => import('@aws-sdk/client-cloudformation')),
  dynamoDb: once(() => import('@aws-sdk/client-dynamodb')),
  ec2: once(() => import('@aws-sdk/client-ec2')),
  ecr: once(() => import('@aws-sdk/client-ecr')),
  eventBridge: once(() => import('@aws-sdk/client-eventbridge')),
  iam: once(() => import('@aws-sdk/client-iam')),
  organizations: once(() => import('@aws-sdk/client-organizations')),
  route53: once(() => import('@aws-sdk/client-route-53')),
  s3: once(() => import('@aws-sdk/client-s3')),
  sqs: once(() => import('@aws-sdk/client-sqs')),
  ssm: once(() => import('@aws-sdk/client-ssm')),
  sts: once(() => import('@aws-sdk/client-sts')),
  credentialProviders: once(() => import('@aws-sdk/credential-providers')),
  smithyCore: once(() => import('@smithy/core')),
  /** The retry strategy extends the SDK's, so it is loaded with the first client. */
  retryStrategy: once(() => import('./retry-strategy.js')),
};
