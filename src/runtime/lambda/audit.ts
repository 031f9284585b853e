import { AUDIT_NAMES } from '../../protocol/names.js';
import { isAuditRecord, s3AuditObjectPort, storeAuditRecords } from './audit-store.js';
import { lambdaHandler } from './entry.js';

/**
 * Lambda entry of the audit account's handler. It consumes two queues: the handler queue (its
 * own requests, like every account) and `orgbridge-audit` (copies of every delivered event),
 * which it stores in the audit bucket (ORGBRIDGE_AUDIT_BUCKET, default the templates' name).
 */
export const handler = lambdaHandler('audit', async () => (await import('./kinds/audit.js')).handlers, {
  other: {
    claims: isAuditRecord,
    handle: (records, runtime) => {
      const [account] = (records[0]?.eventSourceARN ?? '').split(':').slice(4, 5);
      const bucket =
        process.env.ORGBRIDGE_AUDIT_BUCKET ?? AUDIT_NAMES.bucket(account ?? '', runtime.settings.region);
      return storeAuditRecords(records, s3AuditObjectPort(runtime.clients.s3(), bucket), runtime.log);
    },
  },
});
