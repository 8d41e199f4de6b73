/**
 * One partition the sink owns: its writer (the open batch and the rotation rule, pure), its
 * flusher (closed batches to the lake, then their commit), and whether the consumer is
 * paused on it. The sink's loop hands it messages and asks it what it holds; only the
 * flusher, after a batch is durable, commits (flusher.ts).
 */
import type { TickCheck } from '../lib/tick.js';
import type { PartitionFlusher } from './flusher.js';
import type { IncomingMessage, PartitionWriter } from './partition-writer.js';
import type { RotateReason } from './rotation.js';
import type { Spooler } from './spool.js';

export class PartitionTask {
  /** Whether the consumer is paused on this partition (backpressure, sink.ts). */
  paused = false;

  constructor(
    readonly writer: PartitionWriter,
    readonly flusher: PartitionFlusher,
    /** Where chunks of the open batch go while it fills (a writer with `spillRows`). */
    private readonly spool?: Spooler,
  ) {}

  get partition(): number {
    return this.writer.partition;
  }

  /** Adds one message; the batches it closes go to the flusher. */
  add(message: IncomingMessage, check: TickCheck, now: number): void {
    const closed = this.writer.add(message, check, now);
    // Chunks before batches: a chunk filled by this message may belong to a batch it closed.
    if (this.spool) for (const chunk of this.writer.takeChunks()) this.spool.append(chunk);
    for (const batch of closed) this.flusher.enqueue(batch);
  }

  /** Closes the open batch when the wall clock says so (flush interval, idle flush). */
  flushIfDue(now: number): void {
    const batch = this.writer.flushIfDue(now);
    if (batch) this.flusher.enqueue(batch);
  }

  /** Closes the open batch now, if it holds anything. */
  closeOpen(reason: RotateReason): void {
    const batch = this.writer.closeOpen(reason);
    if (batch) this.flusher.enqueue(batch);
  }

  /** Memory of the open batch, of its chunks waiting for the spool, and of the closed batches not yet written. */
  get bufferedBytes(): number {
    return this.writer.openBytes + (this.spool?.queuedBytes(this.partition) ?? 0) + this.flusher.bufferedBytes;
  }

  /** Whether chunks of its open batch wait to be written to the spool (that frees memory by itself). */
  get spooling(): boolean {
    return (this.spool?.queuedBytes(this.partition) ?? 0) > 0;
  }

  /** Closed batches not yet committed, including the one being written. */
  get pending(): number {
    return this.flusher.pending;
  }

  /** Messages read but in no batch yet written (the open batch and the queued ones). */
  get unwrittenMessages(): number {
    return this.writer.openMessages + this.flusher.queuedMessages;
  }

  /**
   * Gives the partition up: the open batch and the unstarted ones are dropped (the next owner
   * re-reads them from the committed offset); a write under way may finish within `waitMs`.
   * Returns the messages dropped.
   */
  async revoke(waitMs: number, cut?: AbortSignal): Promise<number> {
    const open = this.writer.openStartOffset;
    const dropped = this.writer.openMessages;
    if (open >= 0) await this.spool?.drop({ topic: this.writer.topic, partition: this.partition, startOffset: open });
    return dropped + (await this.flusher.revoke(waitMs, cut));
  }
}
