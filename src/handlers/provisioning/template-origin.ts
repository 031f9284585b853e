import { artifactObjectKey, artifactObjectUrl, TEMPLATE_PREFIX } from '../../protocol/names.js';
import { RequestRejected } from '../types.js';

/**
 * Where a provisioning handler takes templates from: the cicd account's artifact bucket of the
 * region the stack is deployed in (CloudFormation fetches a TemplateURL only from a bucket in the
 * stack's own region). On the messaging runtime the cicd account is the request's sender (the
 * routing table lets no one else send these types); the direct gateway names it itself.
 */
export interface TemplateOrigin {
  readonly cicdAccountId: string;
  readonly region: string;
}

/**
 * Refuses, for good, a template URL that is not an object under `templates/` of the origin's
 * artifact bucket: a forged or corrupted request must not make a handler deploy (with its service
 * role, which may create IAM roles) a template from another bucket, account or region.
 */
export function checkTemplateUrl(type: string, url: string, origin: TemplateOrigin): void {
  if (artifactObjectKey(url, origin.cicdAccountId, origin.region, TEMPLATE_PREFIX) !== undefined) return;
  throw new RequestRejected(
    'PROVISION_TEMPLATE_URL_NOT_ALLOWED',
    `${type} deploys templates from ${artifactObjectUrl(origin.cicdAccountId, origin.region, TEMPLATE_PREFIX)} only, not '${url}'`,
  );
}
