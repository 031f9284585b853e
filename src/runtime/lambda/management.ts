import { OrgbridgeError } from '../../errors.js';
import { lambdaHandler, lambdaSettingsFromEnvironment } from './entry.js';

/**
 * Lambda entry of the management account's handler. Besides the common settings it needs the
 * DSL's placement rules, which it enforces on every account write whatever the cicd account
 * sends: ORGBRIDGE_ROOT_OU (`organization.root_ou`) and ORGBRIDGE_MORGUE_OU
 * (`organization.morgue_ou`), and the special accounts it protects (ORGBRIDGE_SPECIAL_ACCOUNTS).
 * Its handlers are loaded on the first invocation, not by the import (see ./registries.ts).
 */
export const handler = lambdaHandler('management', async (env) => {
  const rootOu = env.ORGBRIDGE_ROOT_OU;
  const morgueOu = env.ORGBRIDGE_MORGUE_OU;
  if (!rootOu || !morgueOu) {
    throw new OrgbridgeError(
      'RUNTIME_SETTING_MISSING',
      'the management handler needs ORGBRIDGE_ROOT_OU and ORGBRIDGE_MORGUE_OU (organization.root_ou and morgue_ou)',
      { source: 'internal', hint: 'redeploy the management handler stack with the current templates' },
    );
  }
  // The special accounts, which no event may move, retire, close, unmark or adopt by email.
  const specialAccounts = lambdaSettingsFromEnvironment('management', env).specialAccounts;
  const { handlers } = await import('./kinds/management.js');
  return handlers({ rootOu, morgueOu, specialAccounts });
});
