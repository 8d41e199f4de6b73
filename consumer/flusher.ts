/**
 * The flusher of one Kafka partition: writes its closed batches, one at a time and in
 * offset order, with the protocol that makes the lake exactly-once:
 *
 *   1. put the batch's intent (the keys it is about to write)         recovery.ts
 *   2. put its objects (raw ticks and bars, one per dt)               atomic, idempotent
 *   3. send its dead letters and wait for the brokers' acknowledgement
 *   4. record in the lake that it holds up to endOffset (_sink/offsets) recovery.ts
 *   5. commit endOffset + 1 for the partition                        only now
 *   6. delete the intent (best effort; recovery removes leftovers)
 *
 * Steps 1-2 are retried together with backoff until they succeed (a storage outage), then
 * 3, 4 and 5 each on its own, unless the partition is taken away (revoke, shutdown), which
 * aborts the retries. Everything here talks to the outside through `FlushDeps`, so the protocol is
 * tested with a folder store and a recorded commit function, without Kafka.
 */
import type { Logger } from '../lib/logger.js';
import type { BatchFile } from './batch-files.js';
import { batchId } from './batch-files.js';
import type { DeadLetterSink } from './dead-letters.js';
import type { SinkMetrics } from './metrics.js';
import { intentKey } from './naming.js';
import type { ClosedBatch } from './partition-writer.js';
import { putIntent, putLakeOffset } from './recovery.js';
import { AbortedError, retry, settlesWithin, sleep, type BackoffPolicy } from './retry.js';
import type { ObjectStore } from './store/store.js';

export interface FlushDeps {
  readonly store: ObjectStore;
  readonly deadLetters: DeadLetterSink;
  /** Commits `nextOffset` for the partition; throws when it cannot, gives up when `signal` fires. */
  commit(topic: string, partition: number, nextOffset: number, signal: AbortSignal): void | Promise<void>;
  /** The batch's objects: encoded in memory, or its spooled files finished (spool.ts). */
  encode(batch: ClosedBatch): BatchFile[] | Promise<BatchFile[]>;
  /** Called once per batch when it is committed or dropped: its spooled files can go. */
  release?(batch: ClosedBatch): void | Promise<void>;
  readonly backoff: BackoffPolicy;
  readonly metrics?: SinkMetrics;
  readonly log?: Logger;
  /** False while no Kafka broker answers: failures of the Kafka steps are then expected and logged at debug level (the outage itself is logged once). */
  readonly kafkaReachable?: () => boolean;
  /** Objects of one batch written at once. */
  readonly writeConcurrency?: number;
}

/**
 * Where the batch being written is: `store` (encoding, intent, objects), `kafka` (its dead
 * letters and its commit, which only a reachable cluster can complete), or `idle`.
 */
export type FlushStage = 'idle' | 'store' | 'kafka';

interface Queued {
  readonly batch: ClosedBatch;
  readonly closedAt: number;
}

export class PartitionFlusher {
  private readonly queue: Queued[] = [];
  private worker: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private idleWaiters: Array<() => void> = [];
  /** The committed offset: the next offset the group will read from. */
  committed: number;
  /** The last failure, while a batch is being retried (for logs and health). */
  lastError: unknown = null;
  /** What the batch being written waits for (a stop during a Kafka outage reads it). */
  stage: FlushStage = 'idle';

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly deps: FlushDeps,
    committed: number,
  ) {
    this.committed = committed;
  }

  /** Closed batches not yet committed, including the one being written. */
  get pending(): number {
    return this.queue.length;
  }

  /** Messages of the batches not yet committed. */
  get queuedMessages(): number {
    let n = 0;
    for (const q of this.queue) n += q.batch.messages;
    return n;
  }

  /** Memory the closed batches hold: their ticks not yet in files, and their dead letters. */
  get bufferedBytes(): number {
    let n = 0;
    for (const q of this.queue) n += q.batch.ticks.bytes + q.batch.deadLetterBytes;
    return n;
  }

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  enqueue(batch: ClosedBatch): void {
    if (this.aborted) {
      void this.deps.release?.(batch);
      return;
    }
    this.queue.push({ batch, closedAt: performance.now() });
    this.startWorker();
  }

  /**
   * Brings the group's committed offset up to what the lake already holds (recovery found
   * the commit behind the lake's own record): committed before any batch of this flusher,
   * so no commit of a later batch can be overtaken by it.
   */
  catchUp(offset: number): void {
    if (this.aborted || offset <= this.committed) return;
    this.catchUpTo = offset;
    this.startWorker();
  }

  private catchUpTo: number | null = null;

  private startWorker(): void {
    this.worker ??= this.run().finally(() => {
      this.worker = null;
      this.stage = 'idle';
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    });
  }

  /** Resolves when every queued batch is committed (or the flusher was aborted). */
  idle(): Promise<void> {
    if (!this.worker) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Gives the partition up: batches not yet started are dropped (the next owner re-reads
   * them from the committed offset); the one being written may finish, commit included,
   * within `waitMs` (less if `cut` fires: a stop), then it is aborted. Returns the number of
   * messages dropped.
   */
  async revoke(waitMs: number, cut?: AbortSignal): Promise<number> {
    let dropped = 0;
    for (const q of this.queue.splice(this.worker ? 1 : 0)) {
      dropped += q.batch.messages;
      await this.deps.release?.(q.batch);
    }
    if (this.worker && waitMs > 0 && !cut?.aborted) {
      const stopped = new Promise<void>((resolve) => cut?.addEventListener('abort', () => resolve(), { once: true }));
      await settlesWithin(Promise.race([this.idle(), stopped]), waitMs);
    }
    this.abort.abort('partition revoked');
    if (this.worker) {
      dropped += this.queue[0]?.batch.messages ?? 0;
      await this.worker.catch(() => undefined);
    }
    for (const q of this.queue.splice(0)) await this.deps.release?.(q.batch);
    return dropped;
  }

  private async run(): Promise<void> {
    if (this.catchUpTo !== null && !this.aborted) {
      const offset = this.catchUpTo;
      const signal = this.abort.signal;
      try {
        await retry(async () => this.deps.commit(this.topic, this.partition, offset, signal), { policy: this.deps.backoff, signal });
        this.committed = offset;
      } catch (err) {
        if (err instanceof AbortedError) return;
        throw err;
      } finally {
        this.catchUpTo = null;
      }
    }
    while (this.queue.length > 0 && !this.aborted) {
      const item = this.queue[0]!;
      try {
        await this.flush(item);
      } catch (err) {
        if (err instanceof AbortedError) return;
        // Not a storage error (those are retried inside): a bug or corrupt input. Keep the
        // batch, log, and try again after a pause rather than skip data.
        this.deps.log?.error({ err, partition: this.partition, startOffset: item.batch.startOffset }, 'batch flush failed');
        await sleep(this.deps.backoff.maxMs, this.abort.signal).catch(() => undefined);
        continue;
      }
      this.queue.shift();
      await this.deps.release?.(item.batch);
    }
  }

  private async flush({ batch, closedAt }: Queued): Promise<void> {
    const { store, metrics, log } = this.deps;
    const signal = this.abort.signal;
    this.stage = 'store';
    const files = await this.deps.encode(batch);
    const onError = (op: string) => (err: unknown, attempt: number, delayMs: number) => {
      this.lastError = err;
      if (op === 'commit') metrics?.commitErrors.inc();
      else metrics?.storeErrors.inc({ op });
      const expected = op !== 'write' && this.deps.kafkaReachable?.() === false;
      (expected ? log?.debug : log?.warn)?.call(
        log,
        { err: (err as Error).message, op, partition: this.partition, startOffset: batch.startOffset, attempt, retryInMs: delayMs },
        `${op} failed; retrying`,
      );
    };
    if (files.length > 0) {
      await retry(() => this.writeObjects(batch, files), { policy: this.deps.backoff, signal, onError: onError('write') });
    }
    this.stage = 'kafka';
    await retry(() => this.deps.deadLetters.send(batch), { policy: this.deps.backoff, signal, onError: onError('dead-letters') });
    const next = batch.endOffset + 1;
    // The lake's own record that it holds the batch (recovery.ts): after the objects and the
    // dead letters, before the commit, so a commit that Kafka later loses or reorders cannot
    // make a restart read the batch again.
    this.stage = 'store';
    await retry(() => putLakeOffset(store, batch.topic, batch.partition, next), { policy: this.deps.backoff, signal, onError: onError('write') });
    this.stage = 'kafka';
    await retry(async () => this.deps.commit(batch.topic, batch.partition, next, signal), { policy: this.deps.backoff, signal, onError: onError('commit') });
    this.committed = next;
    this.lastError = null;
    if (files.length > 0) {
      await store.delete(intentKey(batchId(batch))).catch((err: unknown) => {
        log?.warn({ err: (err as Error).message, partition: this.partition }, 'intent not deleted; recovery will remove it');
      });
    }
    if (metrics) {
      for (const f of files) {
        metrics.filesWritten.inc({ table: f.table });
        metrics.bytesWritten.inc({ table: f.table }, f.bytes);
        metrics.rowsWritten.inc({ table: f.table }, f.rows);
      }
      metrics.batchesCommitted.inc({ reason: batch.reason });
      metrics.commitLatency.observe((performance.now() - closedAt) / 1000);
    }
    log?.debug(
      { partition: batch.partition, startOffset: batch.startOffset, endOffset: batch.endOffset, files: files.length, reason: batch.reason },
      'batch committed',
    );
  }

  private async writeObjects(batch: ClosedBatch, files: readonly BatchFile[]): Promise<void> {
    const { store } = this.deps;
    await putIntent(store, { version: 1, ...batchId(batch), endOffset: batch.endOffset, keys: files.map((f) => f.key) });
    const width = Math.max(1, this.deps.writeConcurrency ?? 4);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < files.length) {
        if (this.aborted) throw new AbortedError('partition revoked');
        const f = files[next++]!;
        await (f.path === undefined ? store.put(f.key, f.body) : store.putFile(f.key, f.path));
      }
    };
    // Every lane settles before the batch fails: a put still under way when another failed
    // would otherwise land after the flusher gave up, even after the partition's next owner
    // rolled the batch back (and, on the same key, over what that owner wrote).
    const results = await Promise.allSettled(Array.from({ length: Math.min(width, files.length) }, lane));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
