import { type Document, isMap, isScalar, type LineCounter } from 'yaml';
import { OrgbridgeError, type SourceLocation } from '../errors.js';
import type { SourceFile } from './source.js';

/**
 * The IAM identities of a customization template, by the rules of the deployer's permissions
 * boundary (CUSTOMIZATION_BOUNDARY_STATEMENTS in src/templates/permissions.ts,
 * docs/customizations.md "IAM in customization templates"):
 * - a role or user carries that boundary: orgbridge adds it where the template names none, and
 *   naming another is an error;
 * - a role, user, group or managed policy the stack passes, re-trusts, gives credentials, new
 *   policy versions or group policies has the name CloudFormation gives it
 *   (`custom-<customization>-<logical id>-<random>`) or one starting with `custom-`, on the root
 *   path. Another name deploys (a cross-account role often needs a fixed one), so that is a
 *   warning, at its line, of the AccessDenied the deploy that needs one of those gets.
 * - no user joins a group (`AWS::IAM::UserToGroupAddition`, a user's `Groups`): a group carries
 *   no boundary, so the boundary denies iam:AddUserToGroup everywhere, and the deploy would fail.
 * Names built at deploy time (`!Sub ${Prefix}-role`, `!Ref`) cannot be checked here; the
 * boundary still decides them.
 */

/** Names of user stacks start with it, so what CloudFormation names in them does too. */
export const CUSTOM_STACK_PREFIX = 'custom-';
/** The permissions boundary of the customization deployer, and of every identity it creates. */
export const CUSTOMIZATION_BOUNDARY_POLICY = 'orgbridge-customization-boundary';

const IAM_NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
};
const BOUNDED_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::User']);
const BOUNDARY_SUB = `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/${CUSTOMIZATION_BOUNDARY_POLICY}`;

/** A literal string, or the text of a `!Sub` / `Fn::Sub` (what CloudFormation will substitute). */
function literalText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const sub = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)['Fn::Sub'] : undefined;
  if (typeof sub === 'string') return sub;
  return Array.isArray(sub) && typeof sub[0] === 'string' ? sub[0] : undefined;
}

/** Where the key at `path` is, or the deepest key of it that exists. */
function locator(file: string, doc: Document, lines: LineCounter) {
  return (path: readonly string[]): SourceLocation => {
    let node: unknown = doc.contents;
    let offset = 0;
    for (const key of path) {
      if (!isMap(node)) break;
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      offset = (isScalar(pair.key) && pair.key.range?.[0]) || offset;
      node = pair.value;
    }
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
}

/** The errors of the template's IAM identities, and the body to deploy. */
export function templateIdentities(
  template: SourceFile,
  resources: Record<string, unknown>,
  doc: Document,
  lines: LineCounter,
): { errors: OrgbridgeError[]; body: string } {
  const file = template.path;
  const at = locator(file, doc, lines);
  const errors: OrgbridgeError[] = [];
  const unbounded: string[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const { Type: type, Properties: properties = {} } = (resource ?? {}) as {
      Type?: unknown;
      Properties?: Record<string, unknown>;
    };
    const joins =
      type === 'AWS::IAM::UserToGroupAddition'
        ? 'Users'
        : type === 'AWS::IAM::User' && properties.Groups
          ? 'Groups'
          : undefined;
    if (joins) {
      errors.push(
        new OrgbridgeError(
          'DSL_TEMPLATE_IAM_GROUP_MEMBERSHIP',
          `${type} ${id} adds users to a group; the customization deployer's boundary denies iam:AddUserToGroup (a group carries no permissions boundary), so the deploy fails with AccessDenied`,
          {
            location: at(['Resources', id, 'Properties', joins]),
            hint: "give the user its policies directly (ManagedPolicyArns, Policies): they stay inside orgbridge's boundary (docs/customizations.md)",
          },
        ),
      );
    }
    const nameProperty = typeof type === 'string' ? IAM_NAME_PROPERTY[type] : undefined;
    if (!nameProperty) continue;
    const bounded = BOUNDED_TYPES.has(type as string);
    const boundary = literalText(properties.PermissionsBoundary);
    if (bounded && properties.PermissionsBoundary === undefined) unbounded.push(id);
    else if (bounded && !boundary?.endsWith(`:policy/${CUSTOMIZATION_BOUNDARY_POLICY}`)) {
      errors.push(
        new OrgbridgeError(
          'DSL_TEMPLATE_IAM_BOUNDARY',
          `${type} ${id} has a PermissionsBoundary other than orgbridge's; the customization deployer may only create roles and users inside its own boundary`,
          {
            location: at(['Resources', id, 'Properties', 'PermissionsBoundary']),
            hint: `leave PermissionsBoundary out (orgbridge adds its own) or set it to !Sub '${BOUNDARY_SUB}' (docs/customizations.md)`,
          },
        ),
      );
    }
    const name = literalText(properties[nameProperty]);
    const path = literalText(properties.Path);
    const badName = name !== undefined && !name.startsWith(CUSTOM_STACK_PREFIX) && !name.startsWith('$');
    if (badName || (path !== undefined && path !== '/')) {
      errors.push(
        new OrgbridgeError(
          'DSL_TEMPLATE_IAM_NAME',
          `${type} ${id} ${badName ? `is named '${name}'` : `has the path '${path}'`}: it deploys, but passing it, changing its trust, giving it credentials, new policy versions or group policies are allowed only on IAM identities named ${CUSTOM_STACK_PREFIX}* on the root path, so the deploy that needs one fails with AccessDenied`,
          {
            location: at(['Resources', id, 'Properties', badName ? nameProperty : 'Path']),
            hint: `leave ${nameProperty} out (CloudFormation then names it after the stack, ${CUSTOM_STACK_PREFIX}<customization>-${id}-...) or start it with '${CUSTOM_STACK_PREFIX}'${badName ? '' : ', and leave Path out'}`,
          },
        ),
      );
    }
  }
  return { errors, body: withBoundaries(template, doc, unbounded) };
}

/**
 * The template with the deployer's boundary on each role and user in `unbounded`; the text as
 * written when there are none, so a template without IAM identities deploys byte for byte. YAML
 * keeps its comments and short-form tags (`yaml` edits the document in place); JSON stays JSON.
 */
function withBoundaries(template: SourceFile, doc: Document, unbounded: readonly string[]): string {
  if (unbounded.length === 0) return template.text;
  const boundary = { 'Fn::Sub': BOUNDARY_SUB };
  if (template.path.endsWith('.json')) {
    const value = JSON.parse(template.text) as {
      Resources: Record<string, { Properties?: Record<string, unknown> }>;
    };
    for (const id of unbounded) {
      const resource = value.Resources[id] as { Properties?: Record<string, unknown> };
      resource.Properties = { ...resource.Properties, PermissionsBoundary: boundary };
    }
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  for (const id of unbounded) {
    doc.setIn(['Resources', id, 'Properties', 'PermissionsBoundary'], doc.createNode(boundary));
  }
  return doc.toString({ lineWidth: 0 });
}
