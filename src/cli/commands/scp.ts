import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { OrgbridgeError } from '../../errors.js';
import { EXIT_ERROR, EXIT_OK } from '../exit-codes.js';
import type { CliContext } from '../main.js';

/**
 * `orgbridge scp test [file]`: evaluates the cases of `policies/scp-tests.yml` against the SCP
 * chain the config describes (root -> OUs -> account), offline. Exit 0 when every case gets its
 * expected decision, 1 when one does not or cannot be decided.
 */
export function registerScp(program: Command, ctx: CliContext): void {
  const scp = program.command('scp').description('service control policy tools');
  scp
    .command('test')
    .description('check the cases of policies/scp-tests.yml against the SCPs of the config')
    .argument('[file]', 'test file, relative to the config directory', 'policies/scp-tests.yml')
    .option('--json', 'print one result object per case and action')
    .action(async (file: string, options: { json?: boolean }, cmd: Command) => {
      const { loadConfig } = await import('../../config/index.js');
      const { parseScpTests, runScpTests } = await import('../../config/scp-tests.js');
      const dir = cmd.optsWithGlobals<{ config: string }>().config;
      const config = await loadConfig(dir);
      let text: string;
      try {
        text = await readFile(resolve(dir, file), 'utf8');
      } catch (e) {
        throw new OrgbridgeError('SCP_TESTS_MISSING', `cannot read ${file} in ${dir}`, {
          hint: 'write test cases there; see docs/policies.md#testing-scps',
          cause: e,
        });
      }
      const results = runScpTests(config, parseScpTests({ path: file, text }));
      if (options.json) {
        ctx.io.out(
          JSON.stringify(
            results.map((r) => ({
              name: r.test.name,
              target: r.target,
              action: r.action,
              expected: r.test.expect,
              ...r.outcome,
              pass: r.pass,
              location: r.test.location,
            })),
            null,
            2,
          ),
        );
      } else {
        for (const r of results) {
          const mark = r.pass ? 'PASS' : r.outcome.decision === 'unsupported' ? 'UNSUPPORTED' : 'FAIL';
          const where = `${r.test.location.file}:${r.test.location.line}`;
          ctx.io.out(
            `${mark.padEnd(11)} ${r.test.name}: ${r.action} on ${r.target} -> ${r.outcome.decision}`,
          );
          if (!r.pass) {
            ctx.io.out(`            ${where}: expected ${r.test.expect}; ${r.outcome.reason}`);
            if (r.outcome.decision === 'unsupported') {
              for (const u of r.outcome.unsupported) ctx.io.out(`            unsupported: ${u}`);
            }
            if (r.outcome.missingKeys.length > 0) {
              ctx.io.out(
                `            absent condition keys: ${r.outcome.missingKeys.join(', ')} (add them under context:)`,
              );
            }
          }
        }
        const failed = results.filter((r) => !r.pass).length;
        ctx.io.out(`${results.length - failed} passed, ${failed} failed (${results.length} checks)`);
      }
      ctx.exitCode = results.every((r) => r.pass) ? EXIT_OK : EXIT_ERROR;
    });
}
