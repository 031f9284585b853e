import { describe, expect, it } from 'vitest';
import { customizationTemplateKey } from '../../../src/plan/customizations.js';
import { parseDetail } from '../../../src/protocol/catalog.js';
import { artifactObjectKey, artifactObjectUrl, customizationObjectKey } from '../../../src/protocol/names.js';

const envelope = {
  nonce: '687754b2-abd6-4ae6-ae2d-f98bd134512e',
  dryrun: false,
  target_account: '333333333333',
  reply_to: '222222222222',
  region: 'eu-west-1',
};
const sha = 'a'.repeat(64);
const named = { customization: 'service', stack_name: 'custom-service' };
const template = {
  template_url: artifactObjectUrl('222222222222', 'eu-west-1', customizationObjectKey('service', sha)),
  template_sha256: sha,
};

describe('DEPLOY_CUSTOMIZATION carries what its operation needs, and nothing else', () => {
  it.each([
    ['list', {}],
    ['observe', { ...named, ...template, parameters: { A: 'b' } }],
    ['deploy', { ...named, ...template, termination_protection: true }],
    ['delete', named],
  ])('accepts %s', (operation, fields) => {
    const parsed = parseDetail('DEPLOY_CUSTOMIZATION', { ...envelope, operation, ...fields });
    expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
  });

  it.each([
    ['list naming a stack', 'list', named],
    ['observe without a template', 'observe', named],
    ['deploy without a stack', 'deploy', template],
    ['delete with a template', 'delete', { ...named, ...template }],
    ['an upper-case hash', 'deploy', { ...named, ...template, template_sha256: 'A'.repeat(64) }],
    ['a bad customization name', 'delete', { customization: 'Service', stack_name: 'custom-Service' }],
  ])('refuses %s', (_what, operation, fields) => {
    expect(parseDetail('DEPLOY_CUSTOMIZATION', { ...envelope, operation, ...fields }).ok).toBe(false);
  });

  it('names the same object key as the planner, under the prefix the handler accepts', () => {
    const body = 'Resources: {}\n';
    const { key, sha256 } = customizationTemplateKey({ name: 'service', template_body: body });
    expect(customizationObjectKey('service', sha256)).toBe(key);
    const url = artifactObjectUrl('222222222222', 'eu-west-1', key);
    expect(artifactObjectKey(url, '222222222222', 'eu-west-1', 'customizations/')).toBe(key);
  });
});
