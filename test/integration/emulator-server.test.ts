import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import {
  CreateOrganizationCommand,
  ListAccountsCommand,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { CallRecorder } from '../../bench/peer/calls.js';
import { useMoto } from '../support/moto.js';

/** One HTTP request on `agent`: its status, whether it reused a kept-open socket, and its text. */
function send(agent: Agent, url: string, method: string, body?: string) {
  return new Promise<{ status: number; reused: boolean; text: string }>((resolve, reject) => {
    const req = request(url, {
      agent,
      method,
      headers: body ? { 'content-length': Buffer.byteLength(body) } : {},
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const moto = useMoto();

/**
 * The launcher keeps HTTP connections open (src/aws/emulator.ts, SPEED_PATCH): werkzeug as
 * shipped closes each after one answer. A request whose body the emulator does not read must not
 * leave bytes that the next request on the connection would be parsed from.
 */
describe('emulator server: kept-open connections', () => {
  it('answers the next request on the same connection after a body it did not read', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const base = moto().server.endpoint;
      // moto's own API ignores a body on this path: the bytes stay unread by the app.
      const first = await send(agent, `${base}/moto-api/data.json`, 'POST', 'x'.repeat(70_000));
      const second = await send(agent, `${base}/moto-api/data.json`, 'GET');
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.reused).toBe(true);
      expect(() => JSON.parse(second.text)).not.toThrow();
    } finally {
      agent.destroy();
    }
  });
});

/**
 * The peer benchmark counts calls with moto's recorder (bench/peer/calls.ts). The launcher points
 * its file beside the server's log; the recorder must see every request on a kept-open
 * connection, bodies included, and nothing outside start and stop.
 */
describe('emulator server: request recorder', () => {
  it('records exactly the calls between start and stop, in a file beside the log', async () => {
    const { server, management: clients } = moto();
    const recorder = new CallRecorder(server.endpoint);
    const organizations = clients.organizations();
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    await recorder.start();
    await organizations.send(new ListRootsCommand({}));
    await organizations.send(new ListAccountsCommand({}));
    await organizations.send(new ListAccountsCommand({}));
    await clients.sts().send(new GetCallerIdentityCommand({}));
    const counted = await recorder.stop();
    await organizations.send(new ListRootsCommand({}));
    expect(counted.byOperation).toEqual({ GetCallerIdentity: 1, ListAccounts: 2, ListRoots: 1 });
    expect(existsSync(server.logFile.replace(/\.log$/, '.recording'))).toBe(true);
    expect((await recorder.stop()).total).toBe(counted.total);
  });
});
