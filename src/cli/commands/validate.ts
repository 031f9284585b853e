import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ResolvedConfig } from '../../config/model.js';
import { type OrgbridgeError, ValidationFailed } from '../../errors.js';
import type { CliContext } from '../main.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description(
      'check accounts.yml, ecr.yml, policies/ and policies/scp-tests.yml and report every error with its file:line',
    )
    .action(async (_options: unknown, cmd: Command) => {
      const { analyzeConfigDirectory } = await import('../../config/index.js');
      const dir = cmd.optsWithGlobals<{ config: string }>().config;
      const result = await analyzeConfigDirectory(dir);
      if (!result.ok) throw new ValidationFailed(result.errors);
      const warnings = [...result.warnings, ...(await checkScpTests(dir, result.config))];
      for (const w of warnings) ctx.io.err(`warning: ${w.format()}`);
      const { accounts, scopes, policies, ecr } = result.config;
      ctx.io.out(
        `${dir}: valid (${accounts.length} accounts, ${Object.keys(scopes).length} scopes, ${policies.length} policies, ${ecr.length} ECR repositories)${warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''}`,
      );
    });
}

/**
 * policies/scp-tests.yml, when present: a malformed file is an error (ValidationFailed); a case
 * naming an account or OU the config no longer has (an account being retired) is a warning that
 * names the file, so retiring an account does not force unrelated edits in the same change.
 */
async function checkScpTests(dir: string, config: ResolvedConfig): Promise<OrgbridgeError[]> {
  const { SCP_TESTS_FILE, parseScpTests, runScpTests } = await import('../../config/scp-tests.js');
  let text: string;
  try {
    text = await readFile(join(dir, SCP_TESTS_FILE), 'utf8');
  } catch {
    return [];
  }
  const tests = parseScpTests({ path: SCP_TESTS_FILE, text });
  try {
    runScpTests(config, tests);
    return [];
  } catch (e) {
    if (e instanceof ValidationFailed) return [...e.errors];
    throw e;
  }
}
