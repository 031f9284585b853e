import type { ResolvedConfig } from '../../../src/config/model.js';
import { orgPathResolver } from '../../../src/plan/access.js';
import { config, desired } from './fixtures.js';

/**
 * Two dev accounts (`web` with CloudFront logs, `api`) under Internal/Dev with two access groups:
 * the inputs the provisioning-template tests and the stack-deployer permission guard render.
 */
export const ACCESS_ORG = 'o-abcdefghij';
export const ACCESS_IDENTITY = '200000000002';
export const ACCESS_OUS = { '': 'r-ab12', Internal: 'ou-ab12-00000001', 'Internal/Dev': 'ou-ab12-00000002' };
export const accessOrgPathOf = orgPathResolver(ACCESS_ORG, ACCESS_OUS);
export const accessContext = {
  partition: 'aws',
  identityAccountId: ACCESS_IDENTITY,
  cicdAccountId: '200000000001',
  organizationId: ACCESS_ORG,
  orgPathOf: accessOrgPathOf,
};
export const accessGroups = { all: ['Admin'], rw: ['PowerUser', 'Developer'] };
export const web = desired('web', {
  organization_unit: 'Internal/Dev',
  access: accessGroups,
  settings: { use_cfr: true },
});
export const api = desired('api', { organization_unit: 'Internal/Dev', access: accessGroups });
export const twoDevAccounts = {
  ...config([web, api]),
  defaults: {},
  ecr: [],
  policies: [],
  directory: '/c',
} as unknown as ResolvedConfig;
