import { OrgbridgeError } from '../errors.js';
import { KNOWN_AWS_REGIONS, REGION_SETTINGS } from './aws-regions.js';
import { didYouMean } from './did-you-mean.js';
import { labelOf } from './issues.js';
import type { ParsedYaml, YamlPath } from './source.js';

/**
 * Every region code in accounts.yml (defaults, scopes, accounts: `region`, `global_region`,
 * `regions`) and in a customization's `regions` list (customizations.ts) must be a region AWS
 * has, or one `organization.allow_unlisted_regions` names: a misspelt region passes the pattern
 * check, ends up in account names and root emails, and fails only at bootstrap with an error
 * that never names it. Codes that fail the pattern are the schema's to report (one mistake, one
 * error).
 */
const REGION_SHAPE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The maps that hold settings: defaults, each scope and each account. */
function settingLayers(root: Record<string, unknown>): [YamlPath, Record<string, unknown>][] {
  const layers: [YamlPath, Record<string, unknown>][] = [];
  if (isMap(root.defaults)) layers.push([['defaults'], root.defaults]);
  for (const section of ['scopes', 'accounts'] as const) {
    const maps = root[section];
    if (!isMap(maps)) continue;
    for (const [name, value] of Object.entries(maps)) if (isMap(value)) layers.push([[section, name], value]);
  }
  return layers;
}

function allowedUnlisted(root: Record<string, unknown>): Set<string> {
  const list = isMap(root.organization) ? root.organization.allow_unlisted_regions : undefined;
  return new Set(Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : []);
}

/**
 * A region listed twice in a `regions` list (accounts.yml's, a customization's) is a slip, often
 * for another region: every per-region step (artifact buckets, stack instances) would be asked
 * for twice, and the region meant is missing.
 */
export function listedTwice(
  doc: ParsedYaml,
  path: YamlPath,
  code: string,
  hint = 'list each region once',
): OrgbridgeError {
  return new OrgbridgeError(
    'DSL_INVALID_VALUE',
    `${labelOf([], path, undefined)}: '${code}' is listed twice`,
    {
      location: doc.locate(path, 'value'),
      hint,
    },
  );
}

/** Whether a code is a known region or one the config allows: other checks skip the rest. */
export function isAcceptedRegion(doc: ParsedYaml, code: string): boolean {
  return KNOWN_AWS_REGIONS.has(code) || (isMap(doc.value) && allowedUnlisted(doc.value).has(code));
}

/** `code`, at `path` of `doc`, is no region AWS has (nor one the config allows): with a did-you-mean. */
export function unknownRegionError(doc: ParsedYaml, path: YamlPath, code: string): OrgbridgeError {
  const suggestion = didYouMean(code, KNOWN_AWS_REGIONS);
  return new OrgbridgeError(
    'DSL_UNKNOWN_REGION',
    `${labelOf([], path, undefined)}: '${code}' is not an AWS region${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
    {
      location: doc.locate(path, 'value'),
      hint: suggestion
        ? `write '${suggestion}'; a region newer than orgbridge's list goes in organization.allow_unlisted_regions`
        : "use a code from https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html; a region newer than orgbridge's list goes in organization.allow_unlisted_regions",
    },
  );
}

export function checkRegionCodes(doc: ParsedYaml): OrgbridgeError[] {
  const root = doc.value;
  if (!isMap(root)) return [];
  const allowed = allowedUnlisted(root);
  const errors: OrgbridgeError[] = [];
  const check = (path: YamlPath, code: unknown) => {
    if (typeof code !== 'string' || !REGION_SHAPE.test(code)) return;
    if (KNOWN_AWS_REGIONS.has(code) || allowed.has(code)) return;
    errors.push(unknownRegionError(doc, path, code));
  };
  for (const [base, layer] of settingLayers(root)) {
    for (const setting of REGION_SETTINGS) {
      const value = layer[setting];
      if (Array.isArray(value)) {
        for (const [i, code] of value.entries()) {
          if (typeof code === 'string' && value.indexOf(code) < i)
            errors.push(listedTwice(doc, [...base, setting, i], code));
          else check([...base, setting, i], code);
        }
      } else check([...base, setting], value);
    }
  }
  return errors;
}
