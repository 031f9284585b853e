import { describe, expect, it } from 'vitest';
import { countRecording, operationOf } from '../../bench/peer/calls.js';

describe('peer benchmark call counting', () => {
  it('names the operation from X-Amz-Target, a Query Action, or the REST shape', () => {
    expect(operationOf('POST', '/', { 'x-amz-target': 'AWSOrganizationsV20161128.MoveAccount' }, '{}')).toBe(
      'MoveAccount',
    );
    expect(operationOf('POST', '/', {}, 'Action=AssumeRole&Version=2011-06-15')).toBe('AssumeRole');
    expect(operationOf('GET', '/?Action=GetCallerIdentity', {}, '')).toBe('GetCallerIdentity');
    expect(operationOf('PUT', '/bucket/key', {}, '')).toBe('PUT object');
    expect(operationOf('GET', '/bucket', {}, '')).toBe('GET bucket');
  });

  it('counts per operation and in total', () => {
    const line = (target: string) =>
      JSON.stringify({ headers: { 'x-amz-target': `Svc.${target}` }, method: 'POST', url: '/', body: '{}' });
    const c = countRecording([line('B'), line('A'), line('B')].join('\n'));
    expect(c.byOperation).toEqual({ A: 1, B: 2 });
    expect(Object.keys(c.byOperation)).toEqual(['A', 'B']);
    expect(c.total).toBe(3);
  });

  it("counts a moto recording's lines: werkzeug's header case, base64 Query bodies, no body", () => {
    const url = 'http://127.0.0.1:5000/';
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const recording = [
      {
        headers: { 'X-Amz-Target': 'AWSOrganizationsV20161128.ListAccounts' },
        body: base64('{}'),
        encoded: true,
      },
      { headers: {}, body: base64('Action=AssumeRole&Version=2011-06-15'), encoded: true },
      { headers: { 'x-amz-target': 'AWSOrganizationsV20161128.ListAccounts' }, body: '{}', encoded: false },
    ]
      .map(({ headers, body, encoded }) =>
        JSON.stringify({ headers, method: 'POST', url, body, body_encoded: encoded }),
      )
      .concat(JSON.stringify({ headers: {}, method: 'GET', url: `${url}bucket`, body: null }), '')
      .join('\n');
    expect(countRecording(recording).byOperation).toEqual({
      AssumeRole: 1,
      'GET bucket': 1,
      ListAccounts: 2,
    });
    expect(countRecording('').total).toBe(0);
  });
});
