import { createServer, type Socket } from 'node:net';

/**
 * A TCP endpoint on 127.0.0.1 that accepts connections and never answers: a call to it waits
 * until its client gives up, so a test can show that orgbridge ends such calls itself.
 */
export interface SilentServer {
  readonly endpoint: string;
  /** The connections made to it so far. */
  readonly sockets: readonly Socket[];
  close(): void;
}

export async function silentServer(): Promise<SilentServer> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    sockets,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
