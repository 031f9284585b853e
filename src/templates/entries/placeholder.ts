import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AccountKind } from '../../config/model.js';
import { OrgbridgeError } from '../../errors.js';
import { handleSqsBatch } from '../../runtime/handle.js';

/**
 * Stand-in Lambda entry, bundled only while `src/runtime/lambda/<kind>.ts` (the runtime's own
 * entry, which wires handleSqsBatch to its handler registry from the environment) does not
 * exist. It links the runtime so bundle sizes are realistic, and refuses every batch loudly:
 * SQS redelivers and then parks the messages in the DLQ, nothing is acknowledged unexecuted.
 */
export function placeholderHandler(kind: AccountKind): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    if (process.env.ORGBRIDGE_PLACEHOLDER_PROBE === kind) await handleSqsBatch([], undefined as never);
    throw new OrgbridgeError(
      'RUNTIME_ENTRY_MISSING',
      `the ${kind} handler bundle was built without src/runtime/lambda/${kind}.ts; ${event.Records.length} message(s) left for redelivery`,
      { source: 'internal', hint: 'rebuild with `orgbridge synth` once the runtime entry exists' },
    );
  };
}
