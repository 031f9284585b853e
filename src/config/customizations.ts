import { isNode, isScalar, isMap as isYamlMap, LineCounter, parseDocument, visit } from 'yaml';
import * as z from 'zod';
import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { CUSTOM_STACK_PREFIX, templateIdentities } from './customization-iam.js';
import {
  checkTemplateReferences,
  type WrittenResourceType,
  writtenResourceTypes,
} from './customization-references.js';
import { didYouMean } from './did-you-mean.js';
import { issuesToErrors } from './issues.js';
import type { ResolvedAccount } from './model.js';
import { listedTwice, unknownRegionError } from './region-check.js';
import { type ParsedYaml, parseYaml, type SourceFile, type YamlPath, YamlSyntaxErrors } from './source.js';

/**
 * Account customizations: the user's own CloudFormation stacks, one directory per
 * customization under `stacks/` (docs/customizations.md, docs/dsl.md#stacks):
 *
 *   stacks/<name>/stack.yml      the definition: targets, regions, parameters, depends_on
 *   stacks/<name>/template.yml   the template (or template.yaml / template.json)
 *
 * Pure: files in, definitions and per-account/region stack instances out, every error positioned.
 */

export const STACKS_DIRECTORY = 'stacks';
const DEFINITION_FILE = 'stack.yml';
const TEMPLATE_FILES = ['template.yml', 'template.yaml', 'template.json'] as const;
/**
 * orgbridge uploads every template to S3 and passes TemplateURL, whose limit is 1 MB (a
 * TemplateBody is limited to 51,200 bytes): "Template body size in an Amazon S3 object: 1 MB".
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
export const TEMPLATE_SIZE_LIMIT = 1_000_000;
/**
 * Stack names: letters, digits and hyphens, starting with a letter, at most 128 characters
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html).
 * The customization name is the rest of it.
 */
const CUSTOMIZATION_NAME_PATTERN = /^[a-z][a-z0-9-]{0,99}$/;
/** Placeholders of parameter values; `{tag:<key>}` reads one of the account's tags. */
export const PARAMETER_PLACEHOLDERS = ['key', 'name', 'service', 'scope', 'environment', 'region'] as const;

const stringList = z.array(z.string().min(1)).min(1);
const selectorShape = {
  scopes: stringList.optional().describe('scope names'),
  organization_units: stringList.optional().describe('OU paths from the root; an OU selects its sub-OUs too'),
  accounts: stringList.optional().describe('account keys'),
  tags: z
    .record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe('tag key -> value the account must carry (all must match)'),
};
const selectorSchema = z.strictObject(selectorShape);

const customizationSchema = z
  .strictObject({
    description: z.string().optional(),
    targets: selectorSchema.describe('accounts that get the stack: any selector matching selects'),
    exclude: selectorSchema.optional().describe('accounts left out even when a target selects them'),
    regions: z
      .union([
        z.literal('account'),
        z.literal('all'),
        z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/)).min(1),
      ])
      .optional()
      .describe("'account' (default): the account's region; 'all': its regions; or a list"),
    parameters: z
      .record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe(
        'template parameter -> value; {key} {name} {service} {scope} {environment} {region} {tag:<key>}',
      ),
    depends_on: z.array(z.string().min(1)).optional().describe('customizations deployed before this one'),
    termination_protection: z.boolean().optional().describe('refuse to delete the stack (default false)'),
    keep_on_retire: z.boolean().optional().describe('keep the stacks when the account goes to the morgue'),
  })
  .describe('orgbridge stacks/<name>/stack.yml');
type CustomizationInput = z.infer<typeof customizationSchema>;

/** JSON Schema of stack.yml for editors (`orgbridge schema --stack`). */
export function customizationJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(customizationSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

export interface TemplateParameter {
  readonly name: string;
  /** A parameter without a Default must be given a value. */
  readonly required: boolean;
}

export interface Customization {
  readonly name: string;
  readonly stack_name: string;
  readonly definition_file: string;
  readonly template_file: string;
  readonly template_body: string;
  readonly targets: z.infer<typeof selectorSchema>;
  readonly exclude?: z.infer<typeof selectorSchema>;
  readonly regions: 'account' | 'all' | readonly string[];
  readonly parameters: Readonly<Record<string, string>>;
  readonly depends_on: readonly string[];
  readonly termination_protection: boolean;
  readonly keep_on_retire: boolean;
}

/** One stack to exist: a customization in one account and region, parameters interpolated. */
export interface CustomizationInstance {
  readonly customization: string;
  readonly stack_name: string;
  readonly account: string;
  readonly region: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export function isCustomizationFile(path: string): boolean {
  const parts = path.split('/');
  return (
    parts.length === 3 &&
    parts[0] === STACKS_DIRECTORY &&
    (parts[2] === DEFINITION_FILE || (TEMPLATE_FILES as readonly string[]).includes(parts[2] as string))
  );
}

export interface ParsedCustomizations {
  readonly customizations: readonly Customization[];
  readonly errors: readonly OrgbridgeError[];
  /** Where each definition's keys are, for the checks against the accounts. */
  readonly docs: ReadonlyMap<string, ParsedYaml>;
  /**
   * The resource types of the templates (none of one with a `Transform`), for the check against
   * CloudFormation's types (resource-types.ts, kept out of the handlers' bundles).
   */
  readonly resourceTypes: readonly WrittenResourceType[];
}

/** Reads every `stacks/<name>/` directory: definition and template checked on their own. */
export function parseCustomizationFiles(files: readonly SourceFile[]): ParsedCustomizations {
  const errors: OrgbridgeError[] = [];
  const customizations: Customization[] = [];
  const docs = new Map<string, ParsedYaml>();
  const resourceTypes: WrittenResourceType[] = [];
  const byName = new Map<string, SourceFile[]>();
  for (const file of files.filter((f) => isCustomizationFile(f.path))) {
    const name = file.path.split('/')[1] as string;
    byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  for (const [name, group] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const definitionFile = group.find((f) => f.path.endsWith(`/${DEFINITION_FILE}`));
    const templates = group.filter((f) => f !== definitionFile);
    const at = { file: (definitionFile ?? group[0])?.path ?? STACKS_DIRECTORY, line: 1, column: 1 };
    if (!CUSTOMIZATION_NAME_PATTERN.test(name)) {
      errors.push(
        new OrgbridgeError('DSL_CUSTOMIZATION_NAME', `stacks/${name}: invalid customization name`, {
          location: at,
          hint: 'lowercase letters, digits and -, starting with a letter, at most 100 characters (it becomes the stack name custom-<name>)',
        }),
      );
      continue;
    }
    if (!definitionFile || templates.length !== 1) {
      errors.push(
        new OrgbridgeError(
          'DSL_CUSTOMIZATION_FILES',
          `stacks/${name} needs one ${DEFINITION_FILE} and one template (${TEMPLATE_FILES.join(', ')})`,
          { location: at, hint: `found: ${group.map((f) => f.path).join(', ')}` },
        ),
      );
      continue;
    }
    const template = templates[0] as SourceFile;
    let doc: ParsedYaml;
    try {
      doc = parseYaml(definitionFile);
    } catch (e) {
      if (!(e instanceof YamlSyntaxErrors)) throw e;
      errors.push(...e.errors);
      continue;
    }
    const parsed = customizationSchema.safeParse(doc.value ?? {});
    if (!parsed.success) {
      errors.push(...issuesToErrors(doc, [], customizationSchema, doc.value, parsed.error.issues));
      continue;
    }
    docs.set(name, doc);
    const read = readTemplate(template, errors);
    if (read) {
      errors.push(...checkParameters(doc, parsed.data, read.parameters, template.path));
      resourceTypes.push(...read.resourceTypes);
    }
    errors.push(...checkInterpolations(doc, parsed.data));
    customizations.push(toCustomization(name, definitionFile.path, template, read?.body, parsed.data));
  }
  errors.push(...checkDependencies(customizations, docs));
  return { customizations, errors, docs, resourceTypes };
}

function toCustomization(
  name: string,
  definitionFile: string,
  template: SourceFile,
  body: string | undefined,
  input: CustomizationInput,
): Customization {
  return {
    name,
    stack_name: `${CUSTOM_STACK_PREFIX}${name}`,
    definition_file: definitionFile,
    template_file: template.path,
    template_body: body ?? template.text,
    targets: input.targets,
    ...(input.exclude ? { exclude: input.exclude } : {}),
    regions: input.regions ?? 'account',
    parameters: Object.fromEntries(Object.entries(input.parameters ?? {}).map(([k, v]) => [k, String(v)])),
    depends_on: input.depends_on ?? [],
    termination_protection: input.termination_protection ?? false,
    keep_on_retire: input.keep_on_retire ?? false,
  };
}

/** Where the `Resources:` key of a template starts (its first character's offset). */
function resourcesKeyOffset(doc: ReturnType<typeof parseDocument>): number | undefined {
  if (!isYamlMap(doc.contents)) return undefined;
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'Resources');
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** Where the first key repeated in one of the document's maps starts, if one is. */
function repeatedKey(doc: ReturnType<typeof parseDocument>): { at: number; key: string } | undefined {
  let found: { at: number; key: string } | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key)) {
          const at = isNode(pair.key) ? pair.key.range?.[0] : undefined;
          if (at !== undefined) found ??= { at, key };
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/**
 * The template's declared parameters and the body to deploy (the deployer's boundary added to
 * roles and users that name none, src/config/customization-iam.ts), or undefined when the
 * template is unusable (reported). CloudFormation YAML uses short-form tags (`!Ref`, `!Sub`);
 * `yaml` keeps their values and only warns about the unknown tags, which is all this needs.
 */
function readTemplate(
  template: SourceFile,
  errors: OrgbridgeError[],
): { parameters: TemplateParameter[]; body: string; resourceTypes: WrittenResourceType[] } | undefined {
  const at: SourceLocation = { file: template.path, line: 1, column: 1 };
  const size = Buffer.byteLength(template.text, 'utf8');
  if (size > TEMPLATE_SIZE_LIMIT) {
    errors.push(
      new OrgbridgeError(
        'DSL_TEMPLATE_TOO_LARGE',
        `${template.path} is ${size} bytes; CloudFormation accepts templates up to ${TEMPLATE_SIZE_LIMIT} bytes`,
        { location: at, hint: 'split it into nested stacks or several customizations' },
      ),
    );
    return undefined;
  }
  const lineCounter = new LineCounter();
  // Keys are unique: a template declaring one twice (two `R:` resources) would be checked and
  // given its permissions boundary in one copy while CloudFormation deploys the other.
  const doc = parseDocument(template.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) {
    const duplicate = first.code === 'DUPLICATE_KEY';
    // yaml places a duplicate at its map; the second key is what to point at.
    const dup = duplicate ? repeatedKey(doc) : undefined;
    const [line = 1, column = 1] =
      dup !== undefined
        ? [lineCounter.linePos(dup.at).line, lineCounter.linePos(dup.at).col]
        : first.linePos?.[0]
          ? [first.linePos[0].line, first.linePos[0].col]
          : [];
    errors.push(
      new OrgbridgeError(
        duplicate ? 'DSL_DUPLICATE_KEY' : 'DSL_TEMPLATE_SYNTAX',
        dup
          ? `${template.path}: duplicate key '${dup.key}'`
          : `${template.path}: ${first.message.split('\n')[0]}`,
        {
          location: { file: template.path, line, column },
          ...(duplicate ? { hint: 'keep one of the two: CloudFormation would read only one of them' } : {}),
        },
      ),
    );
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // toJS reports alias problems (unresolved, too many expansions) only when it runs.
    let aliasAt: number | undefined;
    visit(doc, {
      Alias(_, node) {
        aliasAt ??= node.range?.[0];
      },
    });
    const { line, col } = lineCounter.linePos(aliasAt ?? 0);
    errors.push(
      new OrgbridgeError('DSL_TEMPLATE_SYNTAX', `${template.path}: ${(e as Error).message}`, {
        location: { file: template.path, line, column: col },
        hint: 'define each &anchor before its *alias',
      }),
    );
    return undefined;
  }
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(value) || !isMap(value.Resources)) {
    errors.push(
      new OrgbridgeError('DSL_TEMPLATE_INVALID', `${template.path} has no Resources section`, {
        location: at,
        hint: 'a CloudFormation template needs at least one resource under Resources:',
      }),
    );
    return undefined;
  }
  // A macro (`Transform`) adds names and types only CloudFormation sees: left to it.
  const transformed = value.Transform !== undefined;
  // "The only required section is the Resources section, which must declare at least one
  // resource" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-guide.html).
  if (!transformed && Object.keys(value.Resources).length === 0) {
    const { line, col } = lineCounter.linePos(resourcesKeyOffset(doc) ?? 0);
    errors.push(
      new OrgbridgeError('DSL_TEMPLATE_INVALID', `${template.path} declares no resource under Resources`, {
        location: { file: template.path, line, column: col },
        hint: 'CloudFormation refuses a template without resources: add one, or remove the customization',
      }),
    );
    return undefined;
  }
  if (!transformed) errors.push(...checkTemplateReferences(template.path, doc, lineCounter, value));
  const identities = templateIdentities(template, value.Resources, doc, lineCounter);
  errors.push(...identities.errors);
  const parameters = isMap(value.Parameters) ? value.Parameters : {};
  return {
    parameters: Object.entries(parameters).map(([name, spec]) => ({
      name,
      required: !(isMap(spec) && Object.hasOwn(spec, 'Default')),
    })),
    body: identities.body,
    resourceTypes: transformed ? [] : writtenResourceTypes(template.path, doc, lineCounter),
  };
}

/**
 * The resources of a template, by logical id: what creating its stack adds (a plan shows them
 * without a CREATE change set, which would leave the stack behind in REVIEW_IN_PROGRESS).
 */
export function templateResources(body: string): { logicalId: string; type: string }[] {
  const value = parseDocument(body, { prettyErrors: false, uniqueKeys: false }).toJS() as {
    Resources?: Record<string, { Type?: unknown }>;
  } | null;
  const resources = value?.Resources;
  if (typeof resources !== 'object' || resources === null) return [];
  return Object.entries(resources)
    .map(([logicalId, r]) => ({ logicalId, type: typeof r?.Type === 'string' ? r.Type : 'unknown' }))
    .sort((a, b) => (a.logicalId < b.logicalId ? -1 : 1));
}

function checkParameters(
  doc: ParsedYaml,
  input: CustomizationInput,
  declared: readonly TemplateParameter[],
  templatePath: string,
): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const names = declared.map((p) => p.name);
  const given = input.parameters ?? {};
  for (const name of Object.keys(given)) {
    if (names.includes(name)) continue;
    const suggestion = didYouMean(name, names);
    errors.push(
      new OrgbridgeError(
        'DSL_CUSTOMIZATION_PARAMETER',
        `parameter '${name}' is not declared by ${templatePath}${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
        {
          location: doc.locate(['parameters', name], 'key'),
          hint: names.length
            ? `the template declares: ${names.join(', ')}`
            : 'the template declares no parameters',
        },
      ),
    );
  }
  for (const parameter of declared) {
    if (!parameter.required || Object.hasOwn(given, parameter.name)) continue;
    errors.push(
      new OrgbridgeError(
        'DSL_CUSTOMIZATION_PARAMETER_MISSING',
        `${templatePath} requires parameter '${parameter.name}' (it has no Default)`,
        {
          location: doc.locate(input.parameters ? ['parameters'] : [], 'key'),
          hint: `add it under parameters: in ${doc.file}, or give it a Default in the template`,
        },
      ),
    );
  }
  return errors;
}

const PLACEHOLDER = /\{([^}]*)\}/g;

/** The placeholders of `value` that are neither one of `known` nor `{tag:<key>}`, in order. */
export function unknownPlaceholders(value: string, known: readonly string[]): string[] {
  return [...value.matchAll(PLACEHOLDER)]
    .map((m) => m[1] as string)
    .filter((p) => !known.includes(p) && !/^tag:.+$/.test(p));
}

/** The hint of an unknown placeholder: the ones `known` allows. */
export function placeholderHint(known: readonly string[]): string {
  return `placeholders: ${known.map((p) => `{${p}}`).join(' ')} {tag:<key>}`;
}

function checkInterpolations(doc: ParsedYaml, input: CustomizationInput): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  for (const [name, value] of Object.entries(input.parameters ?? {})) {
    if (typeof value !== 'string') continue;
    for (const placeholder of unknownPlaceholders(value, PARAMETER_PLACEHOLDERS)) {
      const suggestion = didYouMean(placeholder, PARAMETER_PLACEHOLDERS);
      errors.push(
        new OrgbridgeError(
          'DSL_UNKNOWN_PLACEHOLDER',
          `parameters.${name}: unknown placeholder {${placeholder}}${suggestion ? `; did you mean {${suggestion}}?` : ''}`,
          {
            location: doc.locate(['parameters', name], 'value'),
            hint: placeholderHint(PARAMETER_PLACEHOLDERS),
          },
        ),
      );
    }
  }
  return errors;
}

/** Unknown names in depends_on, and cycles (each reported once, at one member's depends_on). */
function checkDependencies(
  customizations: readonly Customization[],
  docs: ReadonlyMap<string, ParsedYaml>,
): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const names = customizations.map((c) => c.name);
  const byName = new Map(customizations.map((c) => [c.name, c]));
  for (const c of customizations) {
    const doc = docs.get(c.name) as ParsedYaml;
    c.depends_on.forEach((dependency, i) => {
      if (byName.has(dependency)) return;
      const suggestion = didYouMean(dependency, names);
      errors.push(
        new OrgbridgeError(
          'DSL_CUSTOMIZATION_DEPENDENCY',
          `depends_on: no customization '${dependency}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
          {
            location: doc.locate(['depends_on', i], 'value'),
            hint: `customizations: ${names.join(', ') || 'none'}`,
          },
        ),
      );
    });
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const doc = docs.get(name) as ParsedYaml;
      errors.push(
        new OrgbridgeError('DSL_CUSTOMIZATION_CYCLE', `depends_on forms a cycle: ${cycle.join(' -> ')}`, {
          location: doc.locate(['depends_on'], 'key'),
          hint: 'remove one of these dependencies',
        }),
      );
      return;
    }
    state.set(name, 'visiting');
    for (const dependency of byName.get(name)?.depends_on ?? []) {
      if (byName.has(dependency)) visit(dependency, [...trail, name]);
    }
    state.set(name, 'done');
  };
  for (const name of names) visit(name, []);
  return errors;
}

/** Customizations in an order where each comes after everything it depends on (no cycles). */
export function dependencyOrder(customizations: readonly Customization[]): Customization[] {
  const byName = new Map(customizations.map((c) => [c.name, c]));
  const ordered: Customization[] = [];
  const seen = new Set<string>();
  const visit = (c: Customization): void => {
    if (seen.has(c.name)) return;
    seen.add(c.name);
    for (const d of c.depends_on) {
      const dependency = byName.get(d);
      if (dependency) visit(dependency);
    }
    ordered.push(c);
  };
  for (const c of customizations) visit(c);
  return ordered;
}

/** Checks every target and exclusion names a scope, OU or account that exists. */
export function checkCustomizationTargets(
  parsed: ParsedCustomizations,
  known: { scopes: readonly string[]; organization_units: readonly string[]; accounts: readonly string[] },
): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const kinds = [
    ['scopes', known.scopes, 'scope'],
    ['organization_units', known.organization_units, 'OU'],
    ['accounts', known.accounts, 'account'],
  ] as const;
  for (const c of parsed.customizations) {
    const doc = parsed.docs.get(c.name) as ParsedYaml;
    for (const section of ['targets', 'exclude'] as const) {
      const selector = c[section];
      if (!selector) continue;
      for (const [field, names, what] of kinds) {
        (selector[field] ?? []).forEach((value, i) => {
          if (names.includes(value)) return;
          const suggestion = didYouMean(value, names);
          errors.push(
            new OrgbridgeError(
              'DSL_CUSTOMIZATION_TARGET',
              `${section}.${field}: no ${what} '${value}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
              {
                location: doc.locate([section, field, i], 'value'),
                hint: `check the ${what} in accounts.yml`,
              },
            ),
          );
        });
      }
    }
  }
  return errors;
}

/**
 * A `regions:` list names each region once, regions AWS has (the check accounts.yml gets), and
 * only regions of `defaults.regions`: the pipeline uploads the template to the cicd account's
 * artifact bucket of each region a stack goes to, the bootstrap creates those buckets only in
 * `defaults.regions`, and the handler takes a template only from the bucket of the stack's own
 * region (docs/customizations.md, "Running it"). Otherwise the run would fail at the upload.
 */
export function checkCustomizationRegions(
  parsed: ParsedCustomizations,
  context: {
    /** A known region code, or one `organization.allow_unlisted_regions` names. */
    isAccepted: (code: string) => boolean;
    /** The regions with an artifact bucket: `defaults.regions` (configuredRegions). */
    artifactRegions: readonly string[];
    /** The config's accounts: `regions: account` and `all` take their regions from them. */
    accounts: readonly ResolvedAccount[];
  },
): OrgbridgeError[] {
  return parsed.customizations.flatMap((c) => {
    const doc = parsed.docs.get(c.name) as ParsedYaml;
    return Array.isArray(c.regions)
      ? checkRegionList(doc, c.regions, context)
      : checkAccountRegions(doc, c, context);
  });
}

function checkRegionList(
  doc: ParsedYaml,
  regions: readonly string[],
  context: Parameters<typeof checkCustomizationRegions>[1],
): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const seen = new Set<string>();
  regions.forEach((region, i) => {
    const path = ['regions', i];
    if (seen.has(region)) {
      errors.push(
        listedTwice(
          doc,
          path,
          region,
          'list each region once: a customization has one stack per account and region',
        ),
      );
      return;
    }
    seen.add(region);
    if (!context.isAccepted(region)) errors.push(unknownRegionError(doc, path, region));
    else if (!context.artifactRegions.includes(region))
      errors.push(
        noArtifactBucket(
          doc,
          path,
          `regions[${i}]: '${region}' is not in defaults.regions`,
          [region],
          context,
        ),
      );
  });
  return errors;
}

/**
 * `regions: account` or `all` take each selected account's resolved regions, which a scope or
 * an account may set outside defaults.regions: one error per customization, naming the accounts.
 */
function checkAccountRegions(
  doc: ParsedYaml,
  c: Customization,
  context: Parameters<typeof checkCustomizationRegions>[1],
): OrgbridgeError[] {
  const outside = new Map<string, string[]>();
  for (const account of context.accounts) {
    if (!selectedBy(c, account)) continue;
    for (const region of customizationRegions(c, account))
      if (!context.artifactRegions.includes(region))
        outside.set(region, [...(outside.get(region) ?? []), account.key]);
  }
  if (outside.size === 0) return [];
  const regions = [...outside.keys()].sort();
  const which = regions
    .map((r) => {
      const keys = outside.get(r) as string[];
      const shown = keys.slice(0, 3).join(', ') + (keys.length > 3 ? ` and ${keys.length - 3} more` : '');
      return `${r} (${shown})`;
    })
    .join(', ');
  // Without a `regions:` key (the default, `account`), the targets are what chose these accounts.
  const path = doc.node(['regions']) ? ['regions'] : ['targets'];
  const what = `regions: ${String(c.regions)} puts stacks in ${which}, outside defaults.regions`;
  return [noArtifactBucket(doc, path, what, regions, context)];
}

function noArtifactBucket(
  doc: ParsedYaml,
  path: YamlPath,
  what: string,
  regions: readonly string[],
  context: Parameters<typeof checkCustomizationRegions>[1],
): OrgbridgeError {
  const buckets = context.artifactRegions.join(', ');
  return new OrgbridgeError(
    'DSL_CUSTOMIZATION_REGION',
    `${what} (${buckets}); the template is deployed from the cicd account's artifact bucket of each region, and the bootstrap creates those buckets only in defaults.regions`,
    {
      location: doc.locate(path, path[0] === 'regions' ? 'value' : 'key'),
      hint: `add ${regions.join(', ')} to defaults.regions in accounts.yml and run \`orgbridge run --action bootstrap --execute\` (it creates the artifact buckets), or deploy only to ${buckets}`,
    },
  );
}

/** The customization deploys to the account: one of its targets and none of its exclusions. */
function selectedBy(c: Customization, account: ResolvedAccount): boolean {
  return selects(c.targets, account) && !(c.exclude && selects(c.exclude, account));
}

function selects(selector: Customization['targets'], account: ResolvedAccount): boolean {
  if (selector.scopes?.includes(account.scope)) return true;
  if (selector.accounts?.includes(account.key)) return true;
  if (
    selector.organization_units?.some(
      (ou) => ou === '' || account.organization_unit === ou || account.organization_unit.startsWith(`${ou}/`),
    )
  )
    return true;
  const tags = Object.entries(selector.tags ?? {});
  return tags.length > 0 && tags.every(([k, v]) => account.tags[k] === String(v));
}

/** The regions a customization deploys to in one account. */
export function customizationRegions(c: Customization, account: ResolvedAccount): readonly string[] {
  if (c.regions === 'account') return [account.region];
  if (c.regions === 'all') {
    const regions = account.settings.regions;
    return Array.isArray(regions) && regions.length ? (regions as string[]) : [account.region];
  }
  return c.regions;
}

/** A parameter value with the account's settings filled in. */
export function interpolate(value: string, account: ResolvedAccount, region: string): string {
  return value.replace(PLACEHOLDER, (whole, placeholder: string) => {
    if (placeholder.startsWith('tag:')) return account.tags[placeholder.slice(4)] ?? '';
    switch (placeholder) {
      case 'key':
        return account.key;
      case 'name':
        return account.name;
      case 'service':
        return account.service;
      case 'scope':
        return account.scope;
      case 'environment':
        return account.environment;
      case 'region':
        return region;
      default:
        return whole;
    }
  });
}

/**
 * Every stack the configuration wants: per customization (in dependency order), per selected
 * account, per region. Retired accounts are not in `accounts`, so they select nothing.
 */
export function customizationInstances(
  customizations: readonly Customization[],
  accounts: readonly ResolvedAccount[],
): CustomizationInstance[] {
  const instances: CustomizationInstance[] = [];
  for (const c of dependencyOrder(customizations)) {
    for (const account of accounts) {
      if (!selectedBy(c, account)) continue;
      for (const region of customizationRegions(c, account)) {
        const parameters = Object.fromEntries(
          Object.entries(c.parameters).map(([k, v]) => [k, interpolate(v, account, region)]),
        );
        instances.push({
          customization: c.name,
          stack_name: c.stack_name,
          account: account.key,
          region,
          parameters,
        });
      }
    }
  }
  return instances;
}
