/**
 * Waiting for remote work (an Athena query, a Glue crawl): exponential backoff between
 * polls, and a sleep that an AbortSignal cuts short. Short jobs answer fast; long ones cost
 * few API calls (each poll is a request against the service's rate limits).
 */

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 5000, factor: 1.6 };

/** Wait before poll n (0-based): initial * factor^n, capped at max. */
export function pollDelayMs(attempt: number, o: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(o.maxMs, Math.round(o.initialMs * o.factor ** attempt));
}

/** Resolves after `ms`, or at once when the signal aborts (the caller then checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
