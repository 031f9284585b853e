import { describe, expect, it } from 'vitest';
import { awsContextFromEnv } from '../../../src/aws/context.js';

describe('awsContextFromEnv', () => {
  it('takes static keys from the environment it is given, not from process.env', () => {
    const context = awsContextFromEnv({
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
    });
    expect(context.credentials).toEqual({
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    expect(context).toMatchObject({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000' });
  });

  it('leaves the SDK default chain (profiles, SSO, roles) when the environment holds no keys', () => {
    expect(awsContextFromEnv({ AWS_PROFILE: 'prod' }).credentials).toBeUndefined();
    expect(awsContextFromEnv({ AWS_ACCESS_KEY_ID: 'only-half' }).credentials).toBeUndefined();
  });
});
