/**
 * Call counting for the peer benchmark (`npm run bench:peer`): the emulator records every request
 * it serves (moto's recorder,
 * https://docs.getmoto.org/en/latest/docs/configuration/recorder/index.html), and a phase's calls
 * are the requests recorded while it ran, by operation.
 *
 * Counting in the emulator rather than in a proxy in front of it: a proxy is one more hop, and
 * one more process on the machine's two cores, for every call, so it charges each tool in
 * proportion to its calls and measured itself as much as the tools (0.13 s of orgbridge's
 * 372-call no-op at N = 300, nothing of the peer's 6 calls). The recorder costs the emulator a
 * line of JSON per request and nothing on the way back.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The operation a request names: JSON protocols carry it in X-Amz-Target, Query ones as Action. */
export function operationOf(method: string, url: string, headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const action =
    new URLSearchParams(body).get('Action') ?? new URL(url, 'http://x').searchParams.get('Action');
  if (action) return action;
  // REST protocols (S3): method and first path segment are the closest stable name.
  const first = new URL(url, 'http://x').pathname.split('/').filter(Boolean).length;
  return `${method} ${first > 1 ? 'object' : first === 1 ? 'bucket' : 'service'}`;
}

/** The calls of a recording: how many, and how many of each operation (sorted by name). */
export interface CallCount {
  readonly total: number;
  readonly byOperation: Record<string, number>;
}

/** One line of moto's recording (moto/moto_api/_internal/recorder/models.py, `_record_request`). */
interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string | null;
  readonly body_encoded?: boolean;
}

/** The calls of a recording (one JSON object per line), by operation. */
export function countRecording(recording: string): CallCount {
  const counts = new Map<string, number>();
  let total = 0;
  for (const line of recording.split('\n')) {
    if (!line.trim()) continue;
    const request = JSON.parse(line) as RecordedRequest;
    // werkzeug names headers in its own case; Node's IncomingHttpHeaders are lowercase.
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const raw = request.body ?? '';
    const body = request.body_encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    const operation = operationOf(request.method, request.url, headers, body);
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    total += 1;
  }
  return { total, byOperation: Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))) };
}

/** Records one emulator's calls between `start` and `stop` through moto's `/moto-api/recorder/`. */
export class CallRecorder {
  constructor(private readonly endpoint: string) {}

  /** Forgets what was recorded before and records from now on. */
  async start(): Promise<void> {
    await this.call('reset-recording');
    await this.call('start-recording');
  }

  /** Stops recording and counts what was recorded since `start`. */
  async stop(): Promise<CallCount> {
    await this.call('stop-recording');
    return countRecording(await this.call('download-recording'));
  }

  private async call(action: string): Promise<string> {
    const answer = await fetch(`${this.endpoint}/moto-api/recorder/${action}`, { method: 'POST' });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`moto recorder ${action}: HTTP ${answer.status} ${text.slice(0, 200)}`);
    return text;
  }
}
