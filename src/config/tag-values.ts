import { OrgbridgeError } from '../errors.js';
import { valueAt } from './issues.js';
import { describeScalar, type ParsedYaml, type YamlPath } from './source.js';

/**
 * Tag values are text at AWS, and the DSL writes a number or a boolean as text
 * (src/config/schema.ts, `tagValue`). YAML reads `cost-centre: 0042` as the number 42 and
 * `flag: True` as true, so the tag would be `42` or `true`, not what the file says: each such
 * value under `tags:` (defaults, scopes, accounts) is an error at its line, asking for quotes.
 */
export function rewrittenTagValues(doc: ParsedYaml): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const check = (path: YamlPath) => {
    for (const [key, position] of doc.node(path)?.entries ?? []) {
      if (position.text === undefined) continue;
      const value = valueAt(doc.value, [...path, key]);
      errors.push(
        new OrgbridgeError(
          'DSL_TAG_VALUE_NOT_TEXT',
          `tag '${key}': ${position.text} is read as ${describeScalar(value)}, so the tag's value would be '${String(value)}'`,
          {
            location: doc.location(position.at),
            hint: `quote it ('${position.text}') to keep it as written`,
          },
        ),
      );
    }
  };
  check(['defaults', 'tags']);
  for (const section of ['scopes', 'accounts']) {
    for (const name of doc.node([section])?.entries?.keys() ?? []) check([section, name, 'tags']);
  }
  return errors;
}
