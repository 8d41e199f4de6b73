/**
 * The rotation policy: when the open batch of one Kafka partition is closed into files.
 *
 * The rule. A batch closes on
 *  - record count (`maxRecords`) or size (`maxBytes`), checked after each message;
 *  - partition change: before a tick whose time partition (`lake.partitioning`: day, month
 *    or year, `lib/lake.ts`) lies after every partition the batch holds so far, i.e. when
 *    the stream moves on into the next day/month/year;
 *  - wall clock (`flushIntervalMs` after the batch opened, `idleFlushMs` after its last
 *    message), for latency.
 * It does NOT close because event time advanced inside one partition: a year of daily bars
 * is one batch (up to count and size), not 250 slivers. A tick of an earlier partition than
 * the batch's latest (a late tick, or ticks of several symbols interleaved around midnight)
 * joins the open batch and goes into that partition's object of the batch (`batch-files.ts`
 * writes one object per partition a batch touches); closing on it would cut a sliver at
 * every interleaving. `eventSpanMs` keeps the old event-time span cut as an option (off by
 * default, `TICKSTREAM_SINK_ROTATE_EVENT_MS`).
 *
 * Exactly-once leans on this being data-dependent: count, bytes and event time are decided
 * by the messages alone, counted from the batch's first offset. A sink that restarts from
 * the committed offset (always the first offset of a batch) therefore cuts the same batches
 * and writes the same objects. The wall-clock flush is the exception (it depends on when
 * messages arrived); it exists for latency, and `recovery.ts` is what keeps it safe: objects
 * of a batch that was never committed are deleted before the partition is read again.
 */
import { partitionEnd, type Partitioning } from '../lib/lake.js';

export interface RotationPolicy {
  /** Close after this many messages (ticks and dead letters). */
  readonly maxRecords: number;
  /** Close once keys + values add up to this many bytes. */
  readonly maxBytes: number;
  /**
   * The lake's time partitioning: a tick in a later partition than the batch's starts a new
   * batch. Unset: no partition cut (a batch spanning partitions is still written as one
   * object per partition); the sink always sets it.
   */
  readonly partitioning?: Partitioning;
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
export type RotateReason = 'records' | 'bytes' | 'partition' | 'event-time' | 'wall-clock' | 'memory' | 'shutdown';

/** Counters of the open batch that the policy looks at. */
export interface OpenBatchState {
  readonly messages: number;
  readonly bytes: number;
  /** Event time of the batch's first tick; NaN while it holds none. */
  readonly firstEventTs: number;
  /** End (exclusive) of the latest time partition the batch's ticks fall in; NaN while it holds none. */
  readonly partitionEnd?: number;
  /** Wall-clock time its first message arrived. */
  readonly openedAt: number;
  /** Wall-clock time its last message arrived. */
  readonly lastAt?: number;
}

/** `partitionEnd` of a batch after a tick at `eventTs` joined it (`end` before: NaN for none). */
export function advancePartitionEnd(policy: RotationPolicy, end: number, eventTs: number): number {
  if (policy.partitioning === undefined) return NaN;
  return Number.isNaN(end) || eventTs >= end ? partitionEnd(policy.partitioning, eventTs) : end;
}

/** Checked before a tick is added: does it belong to a new batch, and why? */
export function closesBefore(policy: RotationPolicy, state: OpenBatchState, eventTs: number): RotateReason | null {
  if (state.messages === 0 || Number.isNaN(state.firstEventTs)) return null;
  if (policy.partitioning !== undefined && eventTs >= (state.partitionEnd ?? NaN)) return 'partition';
  if (policy.eventSpanMs > 0 && Math.abs(eventTs - state.firstEventTs) >= policy.eventSpanMs) return 'event-time';
  return null;
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
