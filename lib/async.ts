/**
 * Waiting, in one place: a sleep that an AbortSignal cuts short, exponential backoff, retry
 * until success or abort, and bounded waits on a condition.
 *
 * One sleep behaviour: `sleep` resolves after `ms` or as soon as the signal aborts, and
 * never rejects. A caller that must stop on abort checks the signal after it (`retry` does,
 * with `throwIfAborted`); a caller that only waits (a poll loop, a progress line) needs no
 * try/catch around it.
 */

export class AbortedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AbortedError';
  }
}

/** Throws AbortedError (carrying the signal's reason) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(String(signal.reason ?? 'aborted'));
}

/** Resolves after `ms`, or at once when the signal aborts; never rejects (see the file comment). */
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

/** Resolves when the signal aborts (at once if it has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/**
 * Exponential backoff: the delay before attempt n (1, 2, ...) is baseMs * factor^(n-1),
 * capped at maxMs, then with `jitter` scaled by a random 0.5..1 so that many clients
 * retrying the same outage do not retry in step.
 */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Growth per attempt; 2 when not given. */
  readonly factor?: number;
  /** Scale each delay by a random 0.5..1; true when not given (retries through an outage want it). */
  readonly jitter?: boolean;
}

/** Delay before attempt `attempt` (1, 2, ...) under `backoff`. Pure but for `random`. */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * (backoff.factor ?? 2) ** Math.min(attempt - 1, 30));
  return Math.round(backoff.jitter === false ? exp : exp * (0.5 + random() / 2));
}

/** Whether `promise` settles within `ms` (its timer does not keep the process alive afterwards). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const, () => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RetryOptions {
  readonly policy: Backoff;
  readonly signal?: AbortSignal;
  /** Called after each failure with the delay before the next attempt. */
  readonly onError?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `op` until it succeeds, with backoff between attempts, forever unless the signal
 * aborts (then AbortedError). An AbortedError thrown by `op` ends the retries too.
 */
export async function retry<T>(op: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    try {
      return await op();
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      throwIfAborted(options.signal);
      const delay = backoffDelay(options.policy, attempt);
      options.onError?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

/** Polls `predicate` every `intervalMs` until it holds (true) or `timeoutMs` passes (false). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}
