import { OrgbridgeError } from '../errors.js';
import { CLOUDFORMATION_RESOURCE_TYPES } from './cloudformation-resource-types.js';
import type { WrittenResourceType } from './customization-references.js';
import { levenshtein } from './did-you-mean.js';

/**
 * A customization template's resource types, against the types AWS's resource specification
 * lists (src/config/cloudformation-resource-types.ts, generated from aws-cdk-lib by `npm run
 * gen:resource-types`). CloudFormation refuses a template with a type it does not know
 * ("Unrecognized resource types") before it creates anything, in every account the customization
 * targets. Kept apart from customizations.ts so the list stays out of the handlers' bundles.
 *
 * A type close to a listed one (the same service and a resource name at most two edits away, or
 * case alone, or a misspelt service with that resource) is the error DSL_TEMPLATE_RESOURCE_TYPE.
 * Any other `AWS::`/`Alexa::` type orgbridge does not list may be newer than its list: the
 * warning DSL_TEMPLATE_RESOURCE_TYPE_UNLISTED. Registry types of other publishers, `Custom::`
 * resources and modules (`::MODULE`) are not checked, nor templates with a `Transform` (a macro
 * may turn any type into others; customizations.ts leaves their types out).
 */

/** The list as a set and by service, built on first use: most configs have no customization. */
let index:
  | { readonly known: ReadonlySet<string>; readonly byService: ReadonlyMap<string, string[]> }
  | undefined;
function typeIndex(): NonNullable<typeof index> {
  if (index) return index;
  const byService = new Map<string, string[]>();
  for (const type of CLOUDFORMATION_RESOURCE_TYPES) {
    const service = type.slice(0, type.lastIndexOf('::'));
    const types = byService.get(service);
    if (types) types.push(type);
    else byService.set(service, [type]);
  }
  index = { known: new Set(CLOUDFORMATION_RESOURCE_TYPES), byService };
  return index;
}
const CHECKED_PREFIXES = ['AWS::', 'Alexa::'];
const MAX_EDITS = 2;

/** The listed type `type` most likely meant, when it is a slip of one. */
export function intendedResourceType(type: string): string | undefined {
  const cut = type.lastIndexOf('::');
  const [service, resource] = [type.slice(0, cut), type.slice(cut + 2)];
  const near = (a: string, b: string) =>
    a.toLowerCase() === b.toLowerCase() || levenshtein(a, b) <= MAX_EDITS;
  const inService = (types: readonly string[]) =>
    types.find((t) => t.toLowerCase() === type.toLowerCase()) ??
    types.find((t) => near(t.slice(t.lastIndexOf('::') + 2), resource));
  const { byService } = typeIndex();
  const same = byService.get(service);
  if (same) return inService(same);
  for (const [other, types] of byService) {
    if (!near(other, service)) continue;
    const exact = types.find((t) => t.slice(t.lastIndexOf('::') + 2) === resource);
    if (exact) return exact;
  }
  return undefined;
}

function checked(type: string): boolean {
  return (
    CHECKED_PREFIXES.some((p) => type.startsWith(p)) &&
    !type.endsWith('::MODULE') &&
    !typeIndex().known.has(type)
  );
}

/** One finding per resource whose type CloudFormation would not know, at its `Type:` value. */
export function checkResourceTypes(written: readonly WrittenResourceType[]): OrgbridgeError[] {
  return written
    .filter(({ type }) => checked(type))
    .map(({ type, location }) => {
      const meant = intendedResourceType(type);
      return meant
        ? new OrgbridgeError(
            'DSL_TEMPLATE_RESOURCE_TYPE',
            `${location.file}: '${type}' is not a CloudFormation resource type; did you mean '${meant}'?`,
            {
              location,
              hint: `write '${meant}': CloudFormation refuses a template with a type it does not know`,
            },
          )
        : new OrgbridgeError(
            'DSL_TEMPLATE_RESOURCE_TYPE_UNLISTED',
            `${location.file}: '${type}' is not in orgbridge's list of CloudFormation resource types`,
            {
              location,
              hint: 'check the name in the AWS resource type reference; a type newer than the list deploys, one that does not exist fails every account the customization targets',
            },
          );
    });
}
