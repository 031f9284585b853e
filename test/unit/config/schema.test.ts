import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accountsJsonSchema } from '../../../src/config/schema.js';

describe('JSON Schema of accounts.yml', () => {
  it('matches the committed examples/accounts.schema.json (regenerate with `orgbridge schema`)', () => {
    const committed = JSON.parse(readFileSync('examples/accounts.schema.json', 'utf8'));
    expect(accountsJsonSchema()).toEqual(committed);
  });

  it('forbids unknown keys and requires the sections', () => {
    const schema = accountsJsonSchema() as { required: string[]; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['organization', 'scopes', 'accounts']));
  });
});
