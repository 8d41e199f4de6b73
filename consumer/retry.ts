/**
 * Retrying storage operations through an outage: exponential backoff with jitter, forever,
 * until the operation succeeds or the caller gives up (its partition was revoked, or the
 * sink is shutting down) through an AbortSignal. Forever is deliberate: the data is safe in
 * Kafka, so the right response to a long outage is to wait (with the partitions paused),
 * not to skip data or crash-loop.
 *
 * The helpers live in lib/async.ts (shared with the analytics polls and the launcher); this
 * module keeps the sink's names for them.
 */
export { AbortedError, backoffDelay, retry, settlesWithin, sleep, throwIfAborted, type Backoff as BackoffPolicy, type RetryOptions } from '../lib/async.js';
