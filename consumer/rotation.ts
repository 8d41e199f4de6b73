/**
 * The rotation policy: when the open batch of one Kafka partition is closed into files.
 *
 * Exactly-once leans on this being data-dependent: count, bytes and event time are decided
 * by the messages alone, counted from the batch's first offset. A sink that restarts from
 * the committed offset (always the first offset of a batch) therefore cuts the same batches
 * and writes the same objects. The wall-clock flush is the exception (it depends on when
 * messages arrived); it exists for latency, and `recovery.ts` is what keeps it safe: objects
 * of a batch that was never committed are deleted before the partition is read again.
 */
export interface RotationPolicy {
  /** Close after this many messages (ticks and dead letters). */
  readonly maxRecords: number;
  /** Close once keys + values add up to this many bytes. */
  readonly maxBytes: number;
  /** Close before a tick whose event time is this far (either way) from the batch's first tick; 0 = off. */
  readonly eventSpanMs: number;
  /** Close a batch this long (wall clock) after its first message arrived; 0 = off. */
  readonly flushIntervalMs: number;
  /** Close a batch when no message has arrived for it this long (wall clock); 0 = off. */
  readonly idleFlushMs?: number;
}

/**
 * Why a batch was closed. `memory` is the sink closing the largest open batch when the
 * buffer limit is reached and nothing else would free memory; like `wall-clock` and
 * `shutdown` it depends on timing, and recovery keeps it exactly-once.
 */
export type RotateReason = 'records' | 'bytes' | 'event-time' | 'wall-clock' | 'memory' | 'shutdown';

/** Counters of the open batch that the policy looks at. */
export interface OpenBatchState {
  readonly messages: number;
  readonly bytes: number;
  /** Event time of the batch's first tick; NaN while it holds none. */
  readonly firstEventTs: number;
  /** Wall-clock time its first message arrived. */
  readonly openedAt: number;
  /** Wall-clock time its last message arrived. */
  readonly lastAt?: number;
}

/** Checked before a tick is added: does it belong to a new batch? */
export function closesBefore(policy: RotationPolicy, state: OpenBatchState, eventTs: number): boolean {
  if (state.messages === 0 || policy.eventSpanMs <= 0 || Number.isNaN(state.firstEventTs)) return false;
  return Math.abs(eventTs - state.firstEventTs) >= policy.eventSpanMs;
}

/** Checked after a message is added: is the batch full? */
export function closesAfter(policy: RotationPolicy, state: OpenBatchState): RotateReason | null {
  if (state.messages >= policy.maxRecords) return 'records';
  if (state.bytes >= policy.maxBytes) return 'bytes';
  return null;
}

/** Checked on a timer. */
export function flushDue(policy: RotationPolicy, state: OpenBatchState, now: number): boolean {
  if (state.messages === 0) return false;
  if (policy.flushIntervalMs > 0 && now - state.openedAt >= policy.flushIntervalMs) return true;
  return (policy.idleFlushMs ?? 0) > 0 && now - (state.lastAt ?? state.openedAt) >= policy.idleFlushMs!;
}
