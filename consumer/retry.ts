/**
 * Retrying storage operations through an outage: exponential backoff with jitter, forever,
 * until the operation succeeds or the caller gives up (its partition was revoked, or the
 * sink is shutting down) through an AbortSignal. Forever is deliberate: the data is safe in
 * Kafka, so the right response to a long outage is to wait (with the partitions paused),
 * not to skip data or crash-loop.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Delay before retry `attempt` (1, 2, ...): base * 2^(attempt-1), capped, then scaled by 0.5..1 (jitter). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exp * (0.5 + random() / 2));
}

export class AbortedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AbortedError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(String(signal.reason ?? 'aborted'));
}

/** Resolves after `ms`, or rejects with AbortedError as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(String(signal.reason ?? 'aborted')));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(String(signal?.reason ?? 'aborted')));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
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
  readonly policy: BackoffPolicy;
  readonly signal?: AbortSignal;
  /** Called after each failure with the delay before the next attempt. */
  readonly onError?: (err: unknown, attempt: number, delayMs: number) => void;
}

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
