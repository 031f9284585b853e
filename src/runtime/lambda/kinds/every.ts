import { deployCustomizationHandler } from '../../../handlers/customizations/register.js';
import { pingHandler } from '../../../handlers/ping.js';
import {
  createVpcHandler,
  putSsmParametersHandler,
  updateAccountBaselineHandler,
  updateIamAccountSettingsHandler,
} from '../../../handlers/provisioning/registrations.js';
import type { EveryKindRegistry } from '../registries.js';

/** The requests every kind of account handles (`handledBy: 'every'` in the catalog). */
export const everyKindHandlers: EveryKindRegistry = {
  PING: pingHandler,
  PUT_SSM_PARAMETERS: putSsmParametersHandler,
  UPDATE_ACCOUNT_BASELINE: updateAccountBaselineHandler,
  CREATE_VPC: createVpcHandler,
  DEPLOY_CUSTOMIZATION: deployCustomizationHandler,
  UPDATE_IAM_ACCOUNT_SETTINGS: updateIamAccountSettingsHandler,
};
