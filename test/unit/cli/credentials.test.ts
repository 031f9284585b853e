import { afterEach, describe, expect, it, vi } from 'vitest';
import { credentialsNeeded } from '../../../src/cli/credentials.js';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { actionNames } from '../../../src/pipeline/actions.js';

describe('no AWS credentials', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('says which account the command needs and how to give its credentials', async () => {
    // The SDK's default chain with nothing to find: no variables, no files, no instance role.
    for (const name of Object.keys(process.env).filter((k) => k.startsWith('AWS_')))
      vi.stubEnv(name, undefined);
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/credentials');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/config');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', 'examples', 'run', '--action', 'bootstrap'], io);
    expect(code).toBe(1);
    const text = io.stderr.join('\n');
    expect(text).toContain('no AWS credentials found [AWS_CREDENTIALS_MISSING]');
    expect(text).toContain('AWS_PROFILE');
    expect(text).toContain('orgbridge run --action bootstrap needs credentials of the management account');
    expect(text).not.toContain('CredentialsProviderError');
  }, 30_000);

  it('names an account for every action and for the commands that call AWS', () => {
    for (const action of actionNames()) {
      expect(credentialsNeeded(['run', '--action', action]), action).toMatch(
        /^orgbridge run --action \S+ needs credentials of the (management|cicd) account/,
      );
    }
    expect(credentialsNeeded(['-c', 'plan', 'run', '--action=sync-ecr'])).toContain('of the cicd account');
    expect(credentialsNeeded(['-c', 'run', 'plan', '--markdown'])).toBe(
      "orgbridge plan needs credentials of the management account, or the cicd account after the bootstrap (the CI runner's role)",
    );
    expect(credentialsNeeded(['doctor'])).toContain('of the management account');
    expect(credentialsNeeded(['validate'])).toBeUndefined();
  });
});
