import type { Command } from 'commander';
import type { CliContext } from '../main.js';

/**
 * `orgbridge synth [--out DIR] [--local]`: every CloudFormation template and Lambda bundle,
 * offline. Account ids come from `id:` in accounts.yml; special accounts without one get
 * placeholders (reported), and member accounts without one get no forward rule yet. The
 * pipeline's `render-templates` renders the same templates with the organization's real ids.
 */
export function registerSynth(program: Command, ctx: CliContext): void {
  program
    .command('synth')
    .description('write every CloudFormation template and Lambda bundle (offline, no AWS call)')
    .option('-o, --out <dir>', 'output directory', 'cdk.out')
    .option('--local', 'the emulator variant: handlers without Lambda functions')
    .action(async (options: { out: string; local?: boolean }, cmd: Command) => {
      const [{ loadConfig }, { synthesizeToDirectory }] = await Promise.all([
        import('../../config/index.js'),
        import('../../templates/write.js'),
      ]);
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      const result = await synthesizeToDirectory(config, options.out, { local: options.local ?? false });
      for (const t of result.templates) {
        ctx.io.out(`${t.file}  ${t.resources} resources, ${t.bytes} bytes  (${t.placement})`);
      }
      for (const b of result.bundles) {
        ctx.io.out(`${b.file}  ${b.bytes} bytes minified`);
      }
      if (result.placeholders.length > 0) {
        ctx.io.err(
          `note: placeholder ids ${result.placeholders.join(', ')} (accounts not created yet); ` +
            'run `orgbridge run --action render-templates` against the organization for deployable templates',
        );
      }
      ctx.io.out(
        `wrote ${result.templates.length} templates and ${result.bundles.length} bundles to ${options.out}`,
      );
    });
}
