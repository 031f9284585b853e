import type { ResolvedConfig } from './model.js';

/**
 * The regions the organization operates in, from `defaults`: the home region (`defaults.region`,
 * where the buses, handlers and account baselines live) and `defaults.regions` (each has an
 * artifact bucket in the cicd account, so the pipeline can deploy stacks there).
 */

/** `defaults.region`, or us-east-1 when a config built in code has none. */
export function homeRegionOf(config: Pick<ResolvedConfig, 'defaults'>): string {
  const region = config.defaults.region;
  return typeof region === 'string' ? region : 'us-east-1';
}

/** `defaults.regions`, falling back to the home region. */
export function configuredRegions(config: Pick<ResolvedConfig, 'defaults'>): string[] {
  const value = config.defaults.regions;
  const regions = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return regions.length > 0 ? [...new Set(regions)] : [homeRegionOf(config)];
}

/** Every region the pipeline can deploy to: the home region and `defaults.regions`. */
export function operatingRegions(config: Pick<ResolvedConfig, 'defaults'>): string[] {
  return [...new Set([homeRegionOf(config), ...configuredRegions(config)])];
}
