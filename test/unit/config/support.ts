import { expect } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/model.js';
import { analyzeConfig } from '../../../src/config/parse.js';
import type { SourceFile } from '../../../src/config/source.js';
import type { OrgbridgeError } from '../../../src/errors.js';
import { specialAccountEntries, specialAccountNames } from '../../support/accounts-yaml.js';

/** A small valid accounts.yml; tests append accounts or replace lines of it. */
export const BASE = `organization:
${specialAccountNames({ management: 'mgmt' })}  root_ou: Internal
  morgue_ou: Morgue
  event_bus: bus
  email_template: 'aws+{name}@example.com'
defaults:
  region: ap-southeast-2
  regions: [ap-southeast-2, us-east-1]
  tags:
    team: platform
scopes:
  dev:
    organization_unit: Dev
    create_vpc: true
    access:
      all: Admin
      rw: PowerUser,Developer
  infra:
    organization_unit: Internal/Infra
    environment: prod
    tags:
      team: sre
accounts:
${specialAccountEntries('infra', { management: 'mgmt' })}`;

export function withAccounts(snippet: string, base = BASE): string {
  return `${base}${snippet.replace(/^\n/, '')}`;
}

export function files(accountsYml: string, more: readonly SourceFile[] = []): SourceFile[] {
  return [{ path: 'accounts.yml', text: accountsYml }, ...more];
}

export function resolveOk(accountsYml: string, more: readonly SourceFile[] = []): ResolvedConfig {
  const result = analyzeConfig(files(accountsYml, more));
  if (!result.ok) throw new Error(result.errors.map((e) => e.format()).join('\n'));
  return result.config;
}

export function errorsOf(accountsYml: string, more: readonly SourceFile[] = []): readonly OrgbridgeError[] {
  const result = analyzeConfig(files(accountsYml, more));
  if (result.ok) throw new Error('expected validation errors, got a valid configuration');
  return result.errors;
}

export function warningsOf(accountsYml: string, more: readonly SourceFile[] = []): readonly OrgbridgeError[] {
  const result = analyzeConfig(files(accountsYml, more));
  if (!result.ok) throw new Error(result.errors.map((e) => e.format()).join('\n'));
  return result.warnings;
}

/** 1-based line of the n-th line containing `needle`. */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] as string).includes(needle) && ++seen === occurrence) return i + 1;
  }
  throw new Error(`'${needle}' not found`);
}

/** Asserts exactly one error with `code`, at file:line, and returns it. */
export function expectOne(
  errors: readonly OrgbridgeError[],
  code: string,
  file: string,
  line: number,
): OrgbridgeError {
  const matching = errors.filter((e) => e.code === code);
  expect(
    matching.map((e) => e.format()),
    errors.map((e) => e.format()).join('\n'),
  ).toHaveLength(1);
  const error = matching[0] as OrgbridgeError;
  expect({ file: error.location?.file, line: error.location?.line }).toEqual({ file, line });
  return error;
}
