import * as z from 'zod';
import { OrgbridgeError } from '../errors.js';
import { didYouMean } from './did-you-mean.js';
import type { ParsedYaml, YamlPath } from './source.js';
import { visibleText } from './visible-text.js';

/**
 * Turns zod issues into positioned OrgbridgeErrors a person can act on: unknown keys with a
 * did-you-mean, missing keys pointing at the parent, wrong types naming what was found.
 */

/** Keys people put on the wrong layer, with where they belong. */
const WRONG_LAYER_HINTS: Readonly<Record<string, string>> = {
  organization_unit: '`organization_unit` is set on a scope (scopes.<name>.organization_unit), not here',
  scope: '`scope` is set on each account, not here',
  service: '`service` is set on each account, not here',
  allowed_dns_domains: '`allowed_dns_domains` is set on each account, not here',
  email_template: '`email_template` is set under `organization:`',
  name_template: '`name_template` is set under `organization:`',
};

export function issuesToErrors(
  doc: ParsedYaml,
  basePath: YamlPath,
  schema: z.ZodType,
  value: unknown,
  issues: readonly z.core.$ZodIssue[],
): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  for (const issue of issues) {
    const path: YamlPath = [...basePath, ...(issue.path as (string | number)[])];
    const label = labelOf(basePath, issue.path as (string | number)[], value) || doc.file;
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, issue.path as (string | number)[]);
        for (const unknown of issue.keys) {
          const suggestion = didYouMean(unknown, known);
          const hint =
            suggestion !== undefined
              ? `rename it to '${suggestion}'`
              : ((Object.hasOwn(WRONG_LAYER_HINTS, unknown) ? WRONG_LAYER_HINTS[unknown] : undefined) ??
                `allowed keys: ${known.join(', ')}`);
          errors.push(
            new OrgbridgeError(
              'DSL_UNKNOWN_KEY',
              `unknown key '${unknown}' in ${label}${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
              { location: doc.locate([...path, unknown], 'key'), hint },
            ),
          );
        }
        break;
      }
      case 'invalid_type': {
        const input = valueAt(value, issue.path as (string | number)[]);
        if (input === undefined) {
          errors.push(missingKey(doc, basePath, issue.path as (string | number)[], value));
          break;
        }
        const accountId = path.at(-1) === 'id' && typeof input === 'number';
        errors.push(
          new OrgbridgeError(
            'DSL_INVALID_TYPE',
            `${label} must be ${article(issue.expected)}, got ${describe(input)}`,
            {
              location: doc.locate(path, 'value'),
              hint: accountId
                ? `quote the account id (id: '${doc.node(path)?.text ?? String(input).padStart(12, '0')}'): unquoted, YAML reads it as a number and drops leading zeros`
                : `write ${label} as ${article(issue.expected)}`,
            },
          ),
        );
        break;
      }
      case 'invalid_key': {
        const inner = issue.issues[0];
        const key = String(path.at(-1));
        // A length limit says how long the key is (zod's own text is "Too big: ...").
        const detail =
          inner?.code === 'too_big'
            ? `it is ${key.length} characters, at most ${String(inner.maximum)} are allowed`
            : inner?.code === 'too_small'
              ? `it is ${key.length} characters, at least ${String(inner.minimum)} are needed`
              : lowerFirst(inner?.message ?? issue.message);
        errors.push(
          new OrgbridgeError(
            'DSL_INVALID_KEY',
            `invalid key '${key}' in ${labelOf(basePath, (issue.path as (string | number)[]).slice(0, -1), value)}: ${detail}`,
            {
              location: doc.locate(path, 'key'),
              hint: 'rename the key',
            },
          ),
        );
        break;
      }
      default: {
        const input = valueAt(value, issue.path as (string | number)[]);
        // A key that may take several forms (a union) and is absent fails as a union, not a type.
        if (input === undefined) {
          errors.push(missingKey(doc, basePath, issue.path as (string | number)[], value));
          break;
        }
        // A union whose every form wants another type: name the forms, not zod's "Invalid input".
        const forms = issue.code === 'invalid_union' ? unionTypes(issue.errors) : undefined;
        if (forms) {
          errors.push(
            new OrgbridgeError('DSL_INVALID_TYPE', `${label} must be ${forms}, got ${describe(input)}`, {
              location: doc.locate(path, 'value'),
              hint: `write ${label} as ${forms}`,
            }),
          );
          break;
        }
        errors.push(
          new OrgbridgeError(
            'DSL_INVALID_VALUE',
            `${label}: ${describe(input)} ${lowerFirst(issue.message)}`,
            {
              location: doc.locate(path, 'value'),
              hint: hintFor(issue),
            },
          ),
        );
      }
    }
  }
  return errors;
}

function missingKey(
  doc: ParsedYaml,
  basePath: YamlPath,
  relative: readonly (string | number)[],
  value: unknown,
): OrgbridgeError {
  const path: YamlPath = [...basePath, ...relative];
  return new OrgbridgeError(
    'DSL_MISSING_KEY',
    `missing required key '${path.at(-1)}' in ${labelOf(basePath, relative.slice(0, -1), value) || doc.file}`,
    { location: doc.locate(path, 'key'), hint: `add \`${path.at(-1)}:\`` },
  );
}

/**
 * A path as a person reads it: `defaults.regions[1]`; an element of a list of named maps (the
 * repositories of ecr.yml) by its name, `payments-api.pull[1]`, rather than its position.
 * `relative` is the part inside `value`, where the names are looked up.
 */
export function labelOf(basePath: YamlPath, relative: readonly (string | number)[], value: unknown): string {
  let label = basePath.map(String).join('.');
  let current = value;
  relative.forEach((step, i) => {
    current = valueAt(current, [step]);
    if (typeof step === 'number') {
      const name = (current as { name?: unknown } | undefined)?.name;
      const named = typeof name === 'string' && name !== '' && relative[i + 1] !== 'name';
      const part = named ? name : `[${step}]`;
      label = !label ? part : named ? `${label}[${name}]` : `${label}${part}`;
    } else label = label ? `${label}.${step}` : step;
  });
  return label;
}

function hintFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  if (issue.code === 'invalid_union') return 'see docs/dsl.md for the accepted forms';
  return 'see docs/dsl.md for the accepted values';
}

/**
 * `a string or a list`: the types a union takes, when each of its forms failed on the type of the
 * value itself (not deeper inside it); otherwise undefined.
 */
function unionTypes(forms: readonly (readonly z.core.$ZodIssue[])[]): string | undefined {
  const types: string[] = [];
  for (const issues of forms) {
    const own = issues.find((i) => i.path.length === 0);
    if (own?.code !== 'invalid_type' || issues.length !== 1) return undefined;
    const type = article(own.expected);
    if (!types.includes(type)) types.push(type);
  }
  if (!types.length) return undefined;
  return types.length === 1 ? types[0] : `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function article(expected: string): string {
  const word =
    expected === 'int' ? 'integer' : expected === 'object' || expected === 'record' ? 'map' : expected;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

export function describe(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a map';
  if (typeof input === 'string')
    return `'${visibleText(input.length > 60 ? `${input.slice(0, 57)}...` : input)}'`;
  if (typeof input === 'number' && !Number.isFinite(input)) return `a number out of range (${String(input)})`;
  return `${typeof input} ${String(input)}`;
}

export function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let current = value;
  for (const step of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/** The keys an object schema allows at `path` inside `schema` (for did-you-mean). */
export function knownKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const step of path) {
    if (!current) return [];
    if (current instanceof z.ZodObject)
      current = unwrap((current.shape as Record<string, z.ZodType>)[String(step)]);
    else if (current instanceof z.ZodRecord) current = unwrap(current.valueType as z.ZodType);
    else if (current instanceof z.ZodArray) current = unwrap(current.element as z.ZodType);
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodDefault ||
    current instanceof z.ZodNullable
  ) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}
