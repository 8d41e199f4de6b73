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

export class PartitionTask {
  /** Whether the consumer is paused on this partition (backpressure, sink.ts). */
  paused = false;

  constructor(
    readonly writer: PartitionWriter,
    readonly flusher: PartitionFlusher,
  ) {}

  get partition(): number {
    return this.writer.partition;
  }

  /** Adds one message; the batches it closes go to the flusher. */
  add(message: IncomingMessage, check: TickCheck, now: number): void {
    for (const batch of this.writer.add(message, check, now)) this.flusher.enqueue(batch);
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

  /** Memory of the open batch and of the closed batches not yet written. */
  get bufferedBytes(): number {
    return this.writer.openBytes + this.flusher.bufferedBytes;
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
    return this.writer.openMessages + (await this.flusher.revoke(waitMs, cut));
  }
}
