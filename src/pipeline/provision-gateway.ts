import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../aws/clients.js';
import type { ResolvedConfig, SpecialAccountKind } from '../config/model.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';
import { createVpc } from '../handlers/provisioning/create-vpc.js';
import type { DeployOptions } from '../handlers/provisioning/deploy-stack.js';
import { cloudFormationPort, ssmPort, stackInstancesPort } from '../handlers/provisioning/ports.js';
import { putSsmParameters } from '../handlers/provisioning/put-ssm-parameters.js';
import { stackInstanceStatus } from '../handlers/provisioning/stack-instance-status.js';
import { updateStackFromUrl } from '../handlers/provisioning/update-stack.js';
import { accountTopologyOf, computeTopology, forwardRuleName, type Topology } from '../protocol/topology.js';
import { accountKinds } from '../templates/inputs.js';
import { artifactBucketName, ROLE_NAMES, templateKey } from '../templates/names.js';
import type { ProvisioningGateway } from './provision.js';

export interface DirectProvisioningOptions {
  /** Clients acting as the management account; every other account is reached with forAccount. */
  readonly management: AwsClients;
  readonly config: ResolvedConfig;
  /** Account key -> id of the accounts that exist. */
  readonly accountIds: Readonly<Record<string, string>>;
  readonly specialIds: Readonly<Record<SpecialAccountKind, string>>;
  /** Where buses, stack sets and the artifact bucket live. */
  readonly homeRegion: string;
  readonly deploy?: DeployOptions;
  /**
   * Deploy the log-buckets stack with the seed's updater role (default true): in AWS the bucket
   * policy denies modification to anyone else.
   */
  readonly logsServiceRole?: boolean;
}

/**
 * The provisioning gateway without EventBridge: each request's handler runs in-process with the
 * target account's clients (`management.forAccount(id)`), the way the account gateway's direct
 * mode works. Used by tests, the benchmark and until the messaging runtime routes the requests.
 */
export function directProvisioningGateway(options: DirectProvisioningOptions): ProvisioningGateway {
  const { management, specialIds, homeRegion } = options;
  const inAccount = (id: string) => (id === specialIds.management ? management : management.forAccount(id));
  const cicd = () => inAccount(specialIds.cicd);
  const bucket = artifactBucketName(specialIds.cicd, homeRegion);
  let topology: Topology | undefined;
  const topologyOf = (): Topology => {
    if (!topology) {
      const kinds = accountKinds(options.config);
      topology = computeTopology({
        accounts: Object.entries(options.accountIds).map(([key, id]) => ({
          id,
          kind: kinds.get(key) ?? 'member',
        })),
        busName: options.config.organization.event_bus,
        source: options.config.organization.event_source,
        region: homeRegion,
      });
    }
    return topology;
  };
  const cfnIn = (id: string, region = homeRegion) =>
    cloudFormationPort(inAccount(id).cloudFormation(region), `account ${id} ${region}`);

  return {
    stackInstanceStatus: (request) =>
      stackInstanceStatus(stackInstancesPort(management.cloudFormation(homeRegion)), request),

    async ensureForwardRule(accountId) {
      const rule = accountTopologyOf(topologyOf(), specialIds.cicd).rules.find(
        (r) => r.name === forwardRuleName(accountId),
      );
      if (!rule) {
        throw new OrgbridgeError(
          'PROVISION_NO_FORWARD_RULE',
          `the topology has no forward rule for ${accountId}`,
          {
            source: 'internal',
          },
        );
      }
      const events = cicd().eventBridge(homeRegion);
      try {
        // PutRule and PutTargets are upserts: running them again changes nothing.
        await events.send(
          new PutRuleCommand({
            Name: rule.name,
            EventBusName: rule.busName,
            EventPattern: JSON.stringify(rule.eventPattern),
            State: 'ENABLED',
            Description: rule.description,
          }),
        );
        await events.send(
          new PutTargetsCommand({
            Rule: rule.name,
            EventBusName: rule.busName,
            Targets: rule.targets.map((t) => ({ Id: t.id, Arn: t.arn })),
          }),
        );
      } catch (e) {
        throw new AwsOperationError(
          `adding forward rule ${rule.name} on ${rule.busName} in cicd ${specialIds.cicd}`,
          e,
        );
      }
    },

    async uploadTemplate(name, template) {
      try {
        await cicd()
          .s3(homeRegion)
          .send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: templateKey(name),
              Body: template.body,
              ContentType: 'application/json',
            }),
          );
      } catch (e) {
        throw new AwsOperationError(`uploading template ${name} to s3://${bucket}`, e);
      }
    },

    templateUrl: (name) => `https://${bucket}.s3.${homeRegion}.amazonaws.com/${templateKey(name)}`,

    putSsmParameters: (accountId, parameters) =>
      putSsmParameters(ssmPort(inAccount(accountId).ssm(homeRegion), `account ${accountId}`), parameters),

    updateBaseline: (accountId, request) => updateStackFromUrl(cfnIn(accountId), request, options.deploy),

    updateIamMapping: (identityId, request) => updateStackFromUrl(cfnIn(identityId), request, options.deploy),

    createVpc: (accountId, request) => createVpc(cfnIn(accountId, request.region), request, options.deploy),

    updateLogBuckets: (logsId, request) =>
      updateStackFromUrl(cfnIn(logsId), request, {
        ...options.deploy,
        ...(options.logsServiceRole === false
          ? {}
          : { roleArn: `arn:aws:iam::${logsId}:role/${ROLE_NAMES.logBucketUpdater}` }),
      }),
  };
}
