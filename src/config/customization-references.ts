import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node, visit } from 'yaml';
import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { didYouMeanSuffix } from './did-you-mean.js';

/**
 * The names a customization template refers to must exist in it: CloudFormation checks them when
 * it reads the template, before it creates anything, and refuses the whole template ("Template
 * format error: Unresolved resource dependencies [X] in the Resources block of the template"), so
 * a misspelt `!Ref` fails the customization in every account it targets, after the merge. Checked:
 *
 * - `Ref` / `!Ref`: a parameter, a resource or a pseudo parameter
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-ref.html,
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html);
 * - `Fn::GetAtt` / `!GetAtt`: a resource;
 * - `Fn::Sub` / `!Sub`: each `${Name}` a parameter, resource, pseudo parameter or a key of the
 *   Sub's own variable map, each `${Resource.Attribute}` a resource; `${!Literal}` is text
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html);
 * - a resource's or output's `Condition`, the first argument of `Fn::If` / `!If` and
 *   `Condition` / `!Condition` inside Conditions: a condition;
 * - `DependsOn`: a resource.
 *
 * Only in Resources, Outputs and Conditions, where CloudFormation resolves them. The caller leaves
 * a template with a `Transform` alone: a macro (AWS::Serverless creates `<Function>Role`, for
 * one) adds names only CloudFormation sees.
 */

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const CHECKED_SECTIONS = new Set(['Resources', 'Outputs', 'Conditions']);

interface Names {
  readonly parameters: ReadonlySet<string>;
  readonly resources: ReadonlySet<string>;
  readonly conditions: ReadonlySet<string>;
}

/** A reference found in the template: what it must name, and where it is written. */
interface Reference {
  readonly name: string;
  readonly kind: 'value' | 'resource' | 'condition';
  readonly written: string;
  readonly offset: number;
  /** `Fn::Sub` variable map keys, which a `${Name}` of that Sub may name. */
  readonly local?: ReadonlySet<string>;
}

function keysOf(value: unknown): Set<string> {
  return new Set(
    typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [],
  );
}

function text(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

function offsetOf(node: unknown): number {
  return (node as Node | undefined)?.range?.[0] ?? 0;
}

/** The `${...}` of a Sub string that name something (not `${!Literal}`). */
function subVariables(template: string): string[] {
  return [...template.matchAll(/\$\{([^}]*)\}/g)]
    .map((m) => (m[1] ?? '').trim())
    .filter((v) => v !== '' && !v.startsWith('!'));
}

function subReferences(value: unknown, written: string): Reference[] {
  const [body, variables] = isSeq(value) ? [value.items[0], value.items[1]] : [value, undefined];
  const template = text(body);
  if (template === undefined) return [];
  const local = new Set(
    isMap(variables) ? variables.items.map((p) => text(p.key)).filter((k): k is string => !!k) : [],
  );
  return subVariables(template).map((v) => {
    const dot = v.indexOf('.');
    return dot > 0 && !local.has(v)
      ? { name: v.slice(0, dot), kind: 'resource', written, offset: offsetOf(body) }
      : { name: v, kind: 'value', written, offset: offsetOf(body), local };
  });
}

/** The references one intrinsic makes, by its name (`Ref`, `!Ref`, `Fn::GetAtt`, ...) and value. */
function intrinsicReferences(fn: string, value: unknown, at: number): Reference[] {
  const name = fn.replace(/^!/, '').replace(/^Fn::/, '');
  const written = fn.startsWith('!') ? fn : `${fn}:`;
  if (name === 'Ref') {
    const target = text(value);
    return target === undefined
      ? []
      : [{ name: target, kind: 'value', written, offset: offsetOf(value) || at }];
  }
  if (name === 'GetAtt') {
    const first = isSeq(value) ? text(value.items[0]) : text(value)?.split('.')[0];
    const node = isSeq(value) ? value.items[0] : value;
    return first ? [{ name: first, kind: 'resource', written, offset: offsetOf(node) || at }] : [];
  }
  if (name === 'Sub') return subReferences(value, written);
  if (name === 'If') {
    const node = isSeq(value) ? value.items[0] : undefined;
    const condition = text(node);
    return condition ? [{ name: condition, kind: 'condition', written, offset: offsetOf(node) }] : [];
  }
  if (name === 'Condition') {
    const condition = text(value);
    return condition ? [{ name: condition, kind: 'condition', written, offset: offsetOf(value) || at }] : [];
  }
  return [];
}

const TAGGED = new Set(['!Ref', '!GetAtt', '!Sub', '!If', '!Condition']);
const LONG_FORMS = new Set(['Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::If', 'Condition']);

/** Every reference in the checked sections, short and long forms, with `Condition` and `DependsOn` keys. */
function referencesIn(doc: Document): Reference[] {
  const found: Reference[] = [];
  visit(doc, (_key, node, path) => {
    const top = path[2];
    const section = isPair(top) ? text(top.key) : undefined;
    if (!section || !CHECKED_SECTIONS.has(section)) return;
    if ((isScalar(node) || isSeq(node)) && node.tag && TAGGED.has(node.tag)) {
      found.push(...intrinsicReferences(node.tag, node, offsetOf(node)));
      return;
    }
    if (!isPair(node)) return;
    const key = text(node.key);
    if (!key) return;
    const parent = path[path.length - 1];
    // A long form is a map of one key (`{Ref: X}`); `Condition:` is also a resource's or an
    // output's attribute (a key of the resource or output itself).
    const intrinsic = isMap(parent) && parent.items.length === 1 && LONG_FORMS.has(key);
    const attribute =
      path.length === 6 && (key === 'Condition' || key === 'DependsOn') && section !== 'Conditions';
    if (attribute && key === 'DependsOn') {
      const items = isSeq(node.value) ? node.value.items : [node.value];
      for (const item of items) {
        const name = text(item);
        if (name) found.push({ name, kind: 'resource', written: 'DependsOn:', offset: offsetOf(item) });
      }
    } else if (attribute || intrinsic) {
      found.push(...intrinsicReferences(key, node.value, offsetOf(node.key)));
    }
  });
  return found;
}

function missing(reference: Reference, names: Names): string[] | undefined {
  if (reference.kind === 'condition')
    return names.conditions.has(reference.name) ? undefined : [...names.conditions];
  if (reference.kind === 'resource')
    return names.resources.has(reference.name) ? undefined : [...names.resources];
  const known =
    names.parameters.has(reference.name) ||
    names.resources.has(reference.name) ||
    PSEUDO_PARAMETERS.has(reference.name) ||
    reference.local?.has(reference.name);
  return known ? undefined : [...names.parameters, ...names.resources, ...PSEUDO_PARAMETERS];
}

const WHAT: Readonly<Record<Reference['kind'], string>> = {
  value: 'no parameter, resource or pseudo parameter',
  resource: 'no resource',
  condition: 'no condition',
};

/** One error per reference the template does not define, at the reference. */
export function checkTemplateReferences(
  file: string,
  doc: Document,
  lines: LineCounter,
  template: Record<string, unknown>,
): OrgbridgeError[] {
  const names: Names = {
    parameters: keysOf(template.Parameters),
    resources: keysOf(template.Resources),
    conditions: keysOf(template.Conditions),
  };
  return referencesIn(doc).flatMap((reference) => {
    const candidates = missing(reference, names);
    if (!candidates) return [];
    const { line, col } = lines.linePos(reference.offset);
    return [
      new OrgbridgeError(
        'DSL_TEMPLATE_REFERENCE',
        `${file}: ${reference.written} '${reference.name}' names ${WHAT[reference.kind]} of the template${didYouMeanSuffix(reference.name, candidates)}`,
        {
          location: { file, line, column: col },
          hint: 'CloudFormation refuses a template whose references it cannot resolve, in every account the customization targets: fix the name or add what it names',
        },
      ),
    ];
  });
}

/** A resource's `Type` as written, for the check against CloudFormation's types (resource-types.ts). */
export interface WrittenResourceType {
  readonly type: string;
  readonly location: SourceLocation;
}

/** The `Type` of each resource of a parsed template, where it is written. */
export function writtenResourceTypes(file: string, doc: Document, lines: LineCounter): WrittenResourceType[] {
  const resources = isMap(doc.contents) ? doc.contents.get('Resources', true) : undefined;
  if (!isMap(resources)) return [];
  return resources.items.flatMap((pair) => {
    const node = isMap(pair.value) ? pair.value.get('Type', true) : undefined;
    const type = text(node);
    if (type === undefined) return [];
    const { line, col } = lines.linePos(offsetOf(node));
    return [{ type, location: { file, line, column: col } }];
  });
}
