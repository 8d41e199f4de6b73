/**
 * The writer of one Kafka partition: takes the partition's messages in offset order and cuts
 * them into batches by the rotation policy. Pure: no Kafka, no storage, no timers (the clock
 * is passed in), so the batch boundaries it draws can be tested and replayed exactly.
 *
 * A batch covers a contiguous run of the partition's offsets, [startOffset, endOffset], and
 * holds every message in it: valid ticks as columns, invalid ones as dead letters. Both
 * count, so committing endOffset + 1 after the batch is written accounts for all of them.
 *
 * With `spillRows` set, a batch does not hold all its ticks: every `spillRows` ticks the
 * columns so far are handed out as a chunk (`takeChunks`) to be encoded into the batch's
 * files on disk (spool.ts), and the batch goes on with empty columns. A closed batch then
 * holds only its last chunk. Chunks are cut by tick count from the batch's first offset, so
 * a replay cuts the same chunks.
 */
import type { TickCheck } from '../lib/tick.js';
import { advancePartitionEnd, closesAfter, closesBefore, flushDue, type OpenBatchState, type RotateReason, type RotationPolicy } from './rotation.js';
import { TickColumns } from './tick-columns.js';

export interface IncomingMessage {
  readonly offset: number;
  /** Kafka message timestamp, epoch ms. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface DeadLetterEntry {
  readonly offset: number;
  readonly reason: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Ticks of an open batch handed out to be written to its files before the batch closes. */
export interface TickChunk {
  readonly topic: string;
  readonly partition: number;
  /** The batch's first offset (the chunk's own offsets are in `ticks.offset`). */
  readonly startOffset: number;
  readonly ticks: TickColumns;
}

export interface ClosedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly endOffset: number;
  /** Its ticks, or with `spillRows` only those after the last chunk handed out. */
  readonly ticks: TickColumns;
  /** Chunks of it handed out before it closed (0 without `spillRows`). */
  readonly chunks: number;
  /** Memory its dead letters hold. */
  readonly deadLetterBytes: number;
  readonly deadLetters: readonly DeadLetterEntry[];
  readonly messages: number;
  /** Keys + values of the messages. */
  readonly bytes: number;
  readonly reason: RotateReason;
}

class OpenBatch implements OpenBatchState {
  messages = 0;
  bytes = 0;
  firstEventTs = NaN;
  partitionEnd = NaN;
  startOffset = -1;
  endOffset = -1;
  ticks = new TickColumns(256);
  deadLetters: DeadLetterEntry[] = [];
  deadLetterBytes = 0;
  chunks = 0;
  lastAt: number;
  constructor(readonly openedAt: number) {
    this.lastAt = openedAt;
  }
}

export class PartitionWriter {
  private open: OpenBatch | null = null;
  /** Highest offset taken; a message at or below it is a redelivery and is ignored. */
  private lastOffset = -1;
  private readonly full: TickChunk[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly policy: RotationPolicy,
    /** Ticks an open batch holds before they are handed out as a chunk; unset: all of them. */
    private readonly spillRows = Infinity,
  ) {}

  /** First offset of the open batch, -1 when none is open. */
  get openStartOffset(): number {
    return this.open && this.open.messages > 0 ? this.open.startOffset : -1;
  }

  /**
   * Chunks of open batches filled since the last call, in offset order. Each belongs to the
   * batch that starts at its `startOffset`, which may have closed since (then it precedes
   * that batch's `ticks`).
   */
  takeChunks(): TickChunk[] {
    return this.full.splice(0);
  }

  /** Messages in the open batch. */
  get openMessages(): number {
    return this.open?.messages ?? 0;
  }

  /** Memory the open batch holds. */
  get openBytes(): number {
    return this.open ? this.open.ticks.bytes + this.open.deadLetterBytes : 0;
  }

  /**
   * Adds one message with its validation result; returns the batches this closed (none,
   * one, or two when a partition change closes the open batch and the new one is full at once).
   * `check` is read here and not kept (the sink's decoder reuses it for the next message).
   */
  add(message: IncomingMessage, check: TickCheck, now: number): ClosedBatch[] {
    if (message.offset <= this.lastOffset) return [];
    this.lastOffset = message.offset;
    const out: ClosedBatch[] = [];
    const before = check.ok && this.open ? closesBefore(this.policy, this.open, check.tick.ts) : null;
    if (before) out.push(this.seal(before));
    const batch = (this.open ??= new OpenBatch(now));
    if (batch.messages === 0) batch.startOffset = message.offset;
    batch.endOffset = message.offset;
    batch.lastAt = now;
    batch.messages += 1;
    batch.bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
    if (check.ok) {
      if (Number.isNaN(batch.firstEventTs)) batch.firstEventTs = check.tick.ts;
      batch.partitionEnd = advancePartitionEnd(this.policy, batch.partitionEnd, check.tick.ts);
      batch.ticks.append(check.tick, message.offset, message.timestamp);
      if (batch.ticks.length >= this.spillRows) {
        this.full.push({ topic: this.topic, partition: this.partition, startOffset: batch.startOffset, ticks: batch.ticks });
        batch.ticks = new TickColumns(256);
        batch.chunks += 1;
      }
    } else {
      // Copies: the message's buffers may be views into a whole poll (group-client.ts).
      batch.deadLetters.push({ offset: message.offset, reason: check.reason, key: copyOf(message.key), value: copyOf(message.value) });
      batch.deadLetterBytes += (message.value?.length ?? 0) + 64;
    }
    const full = closesAfter(this.policy, batch);
    if (full) out.push(this.seal(full));
    return out;
  }

  /** The open batch if the wall-clock flush is due. */
  flushIfDue(now: number): ClosedBatch | null {
    return this.open && flushDue(this.policy, this.open, now) ? this.seal('wall-clock') : null;
  }

  /** Closes the open batch whatever its size (shutdown). */
  closeOpen(reason: RotateReason = 'shutdown'): ClosedBatch | null {
    return this.open && this.open.messages > 0 ? this.seal(reason) : null;
  }

  private seal(reason: RotateReason): ClosedBatch {
    const b = this.open!;
    this.open = null;
    return {
      topic: this.topic,
      partition: this.partition,
      startOffset: b.startOffset,
      endOffset: b.endOffset,
      ticks: b.ticks,
      chunks: b.chunks,
      deadLetterBytes: b.deadLetterBytes,
      deadLetters: b.deadLetters,
      messages: b.messages,
      bytes: b.bytes,
      reason,
    };
  }
}

function copyOf(bytes: Buffer | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes);
}
