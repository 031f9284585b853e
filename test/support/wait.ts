/**
 * Polls `probe` until it returns something other than undefined, or fails after `timeoutMs`
 * naming `what` it waited for. For effects that arrive asynchronously (queues, pollers).
 */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'the condition',
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** `value()` after `ms`, as a fake port's answer that takes time; a throw becomes the rejection. */
export function later<T>(ms: number, value: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    setTimeout(() => {
      try {
        resolve(value());
      } catch (e) {
        reject(e);
      }
    }, ms),
  );
}
