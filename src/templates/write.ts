import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config/model.js';
import { buildBundles, bundleKeys } from './bundles.js';
import { deploySteps } from './deployment.js';
import { assertGuardrails, checkDeployment } from './guardrails.js';
import { templateInputs } from './inputs.js';
import { renderTemplates } from './synth.js';

export interface SynthResult {
  readonly templates: readonly { file: string; resources: number; bytes: number; placement: string }[];
  readonly bundles: readonly { file: string; bytes: number }[];
  readonly placeholders: readonly string[];
}

/**
 * Bundles, renders and runs every guardrail (GUARDRAILS_FAILED: nothing is written), then writes `<out>/<name>.template.json`, `<out>/lambdas/<key>.zip` and
 * `<out>/manifest.json` (where each template is deployed: its placement and the plain stacks the
 * bootstrap deploys of it, in order; each bundle's key and hash).
 */
export async function synthesizeToDirectory(
  config: ResolvedConfig,
  out: string,
  options: { local: boolean },
): Promise<SynthResult> {
  const bundles = await buildBundles();
  const inputs = templateInputs(config, {
    bundleKeys: bundleKeys(bundles),
  });
  const templates = renderTemplates(inputs, { local: options.local });
  // The guardrails the bootstrap runs, over the order it would deploy in (placeholder root).
  const deployment = { inputs, templates, local: options.local, rootId: 'r-0000' };
  assertGuardrails(checkDeployment(deployment), 'synth refused to write the templates');
  // The plain stacks of each template, in deployment order: for a stack set in every account,
  // the management account's bus too, which service-managed stack sets skip.
  const stacks = deploySteps(deployment);
  await mkdir(join(out, 'lambdas'), { recursive: true });
  const written: SynthResult['templates'][number][] = [];
  for (const t of templates) {
    const file = join(out, `${t.name}.template.json`);
    await writeFile(file, t.body);
    const p = t.placement;
    written.push({
      file,
      resources: Object.keys(t.template.Resources ?? {}).length,
      bytes: Buffer.byteLength(t.body),
      placement:
        p.type === 'account'
          ? `stack ${p.stackName} in ${p.accountKey}, ${p.region}`
          : `stack set ${p.stackSetName} in ${p.accounts === 'all' ? `every account${options.local ? '' : ' (management: as a stack, which stack sets skip)'}` : 'member accounts'}, ${p.region}`,
    });
  }
  const bundleFiles: SynthResult['bundles'][number][] = [];
  for (const b of bundles) {
    const file = join(out, b.key);
    await writeFile(file, b.zip);
    bundleFiles.push({ file, bytes: b.bytes });
  }
  const manifest = {
    templates: templates.map((t) => ({
      name: t.name,
      placement: t.placement,
      stacks: stacks
        .filter((s) => s.template === t.name)
        .map(({ accountKey, region, stackName }) => ({ accountKey, region, stackName })),
      sha256: t.sha256,
    })),
    bundles: bundles.map((b) => ({ kind: b.kind, key: b.key, sha256: b.sha256, bytes: b.bytes })),
    placeholders: inputs.placeholders,
    local: options.local,
  };
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { templates: written, bundles: bundleFiles, placeholders: inputs.placeholders };
}
