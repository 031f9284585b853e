import type { SQSRecord } from 'aws-lambda';

/** The six special accounts of the Lambda tests' organization. */
export const LAMBDA_SPECIAL_ACCOUNTS = {
  management: '111111111111',
  cicd: '222222222222',
  identity: '333333333333',
  dns: '444444444444',
  logs: '555555555555',
  audit: '666666666666',
} as const;

/** What the handler stack sets for a member function (src/templates/stacks/handlers.ts). */
export function handlerEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ORGBRIDGE_ACCOUNT_KIND: 'member',
    ORGBRIDGE_EVENT_SOURCE: 'app.infra',
    ORGBRIDGE_PUBLISH_BUS: 'orgbridge',
    ORGBRIDGE_IDEMPOTENCY_TABLE: 'orgbridge-idempotency',
    ORGBRIDGE_SPECIAL_ACCOUNTS: JSON.stringify(LAMBDA_SPECIAL_ACCOUNTS),
    ORGBRIDGE_CONSUMED_QUEUES: JSON.stringify({ 'orgbridge-handler': 5401 }),
    AWS_REGION: 'eu-west-1',
    ...extra,
  };
}

/** An SQS record as Lambda's event source mapping hands it over. */
export function sqsRecord(fields: Partial<SQSRecord> & Pick<SQSRecord, 'eventSourceARN'>): SQSRecord {
  return {
    messageId: 'm-1',
    receiptHandle: 'r',
    body: '{}',
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    awsRegion: fields.eventSourceARN.split(':')[3] ?? 'us-east-1',
    ...fields,
  };
}
