/**
 * Waiting for remote work (an Athena query, a Glue crawl): exponential backoff between
 * polls, without jitter (one client polls its own job). Short jobs answer fast; long ones
 * cost few API calls (each poll is a request against the service's rate limits). The
 * backoff and the sleep are lib/async.ts's.
 */
import { backoffDelay, type Backoff } from '../lib/async.js';

export const DEFAULT_BACKOFF: Backoff = { baseMs: 200, maxMs: 5000, factor: 1.6, jitter: false };

/** Wait before poll n (0-based): base * factor^n, capped at max. */
export function pollDelayMs(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return backoffDelay({ ...backoff, jitter: false }, attempt + 1);
}
