/**
 * The sink service's loop: the consumer in its group (group-client.ts), one PartitionTask per
 * assigned partition (partition-task.ts: a writer and a flusher), backpressure, rebalances
 * and the stop. Whoever opens a resource closes it: the sink opens the consumer and the
 * dead-letter producer and closes them; the store is the caller's (service.ts).
 *
 * One loop does everything that touches the consumer's assignment, in this order:
 *   consume a batch of messages -> hand each to its partition's writer (closed batches go to
 *   the flusher) -> handle queued rebalance events -> wall-clock flushes -> pause/resume.
 * Rebalance events are only queued by librdkafka's callback and handled between two polls,
 * so a poll's messages are always handled against the assignment they were fetched under:
 * a message of a revoked partition can never slip into the writer of its next assignment.
 *
 * Rebalance (eager protocol: every rebalance revokes everything, then assigns):
 * - revoke: open buffers and unstarted batches of the partition are dropped (never
 *   committed; the next owner re-reads them from the committed offset); a write under way
 *   may finish within `revokeWaitMs`, so a slow upload does not land after the next owner
 *   started; then unassign.
 * - assign: read the committed offsets, roll back uncommitted batches (`recovery.ts`), and
 *   only then assign, at exactly the committed offsets. While recovery waits on the store
 *   the loop keeps polling, so the group does not evict this member.
 *
 * Backpressure: a partition is paused (consumer.pause) while `maxPendingBatches` of its
 * batches wait to be written, and every partition while the memory of open and unwritten
 * batches exceeds `maxBufferedMb`; so during a storage outage memory stays bounded and Kafka
 * holds the rest. When nothing would free memory any more (all open, none writing), the
 * largest open batch is closed early.
 */
import { topicNames } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import { resumePoints } from './assignment.js';
import { KafkaDeadLetterSink, type DeadLetterSink } from './dead-letters.js';
import { PartitionFlusher } from './flusher.js';
import { connectGroupClient } from './connect-group-client.js';
import { OFFSET_BEGINNING, type ConsumedMessages, type GroupClient, type RebalanceEvent } from './group-client.js';
import { SinkMetrics } from './metrics.js';
import type { ClosedBatch } from './partition-writer.js';
import { PartitionWriter } from './partition-writer.js';
import { PartitionTask } from './partition-task.js';
import { AbortedError, settlesWithin, type BackoffPolicy } from './retry.js';
import type { RotationPolicy } from './rotation.js';
import type { SinkSpecConfig } from './settings.js';
import { Spooler, spoolRoot } from './spool.js';
import { drainVerdict, type ShutdownMode, type StopOutcome, type StopReason } from './stop-outcome.js';
import type { ObjectStore } from './store/store.js';
import { TickDecoder } from './tick-decoder.js';

export interface SinkOptions {
  readonly config: SinkSpecConfig;
  readonly store: ObjectStore;
  readonly log: Logger;
  readonly metrics?: SinkMetrics;
  /** Replaces the Kafka dead-letter producer (tests). */
  readonly deadLetters?: DeadLetterSink;
}

export class Sink {
  readonly topic: string;
  readonly metrics: SinkMetrics;
  private readonly config: SinkSpecConfig;
  private readonly store: ObjectStore;
  private readonly log: Logger;
  private readonly policy: RotationPolicy;
  private readonly backoff: BackoffPolicy;
  private client: GroupClient | null = null;
  /** Set once a stop has ended. */
  outcome: StopOutcome | null = null;
  private deadLetters: DeadLetterSink | null;
  private readonly decoder = new TickDecoder();
  private readonly tasks = new Map<number, PartitionTask>();
  private spooler: Spooler | null = null;
  private stopRequest: ShutdownMode | null = null;
  private closing = false;
  private loop: Promise<void> | null = null;
  private lastLagUpdate = 0;
  /** Fires when a stop is requested: ends retries that would otherwise wait out an outage. */
  private readonly stopping = new AbortController();
  /** Fires on `stop('abandon')`, also after a finishing stop began (a second signal). */
  private readonly abandoning = new AbortController();

  constructor(options: SinkOptions) {
    this.config = options.config;
    this.store = options.store;
    this.log = options.log;
    this.metrics = options.metrics ?? new SinkMetrics();
    this.deadLetters = options.deadLetters ?? null;
    this.topic = topicNames(this.config.topics).ticks;
    const s = this.config.sink;
    this.policy = {
      maxRecords: s.rotateRecords,
      maxBytes: s.rotateBytes,
      partitioning: this.config.lake.partitioning,
      eventSpanMs: s.rotateEventMs,
      flushIntervalMs: s.flushIntervalMs,
      idleFlushMs: s.idleFlushMs,
    };
    this.backoff = { baseMs: s.retryBaseMs, maxMs: s.retryMaxMs };
  }

  /** For `/healthz`: started, and not stopping or stopped. */
  get healthy(): boolean {
    return this.loop !== null && this.stopRequest === null && !this.closing;
  }

  /** Partitions this instance owns right now. */
  get assigned(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /** Connects, joins the group and starts the loop; resolves once the loop runs. */
  async start(): Promise<void> {
    const { kafka, sink, lake } = this.config;
    this.spooler = await Spooler.open(spoolRoot(lake.root, sink.spoolDir), { bars: sink.bars, partitioning: lake.partitioning });
    this.deadLetters ??= await KafkaDeadLetterSink.connect(kafka, topicNames(this.config.topics).dlq);
    this.client = await connectGroupClient({ kafka, topic: this.topic, sink, log: this.log });
    this.metrics.kafkaReach = this.client.reach;
    this.log.info({ topic: this.topic, group: sink.group, lake: this.store.url, partitioning: this.config.lake.partitioning, client: this.client.kind }, 'sink started');
    this.loop = this.run().catch((err: unknown) => {
      this.log.fatal({ err }, 'sink loop failed');
      throw err;
    });
  }

  /** Resolves when the sink has stopped (after `stop`, or a fatal error, which rejects). */
  done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /**
   * Stops the sink. `finish` writes and commits the open batches (within
   * `shutdownTimeoutMs`, then abandons what is left); `abandon` drops them uncommitted.
   * Either way the lake stays consistent: only committed batches count, and the next start
   * re-reads the rest.
   */
  async stop(mode: ShutdownMode = this.config.sink.shutdown): Promise<void> {
    this.stopRequest ??= mode;
    this.stopping.abort('stopping');
    // A second signal during a finishing stop: stop waiting for the writes (they are aborted,
    // nothing more is committed; the next start re-reads the rest).
    if (mode === 'abandon') this.abandoning.abort('abandon');
    await this.done();
  }

  private async run(): Promise<void> {
    const batchSize = this.config.sink.consumeBatch;
    while (!this.stopRequest) {
      // A batch's file on disk that could not be written cannot be rebuilt from memory: stop,
      // and the next start re-reads the batch from the committed offset.
      if (this.spooler!.failure) throw this.spooler!.failure;
      const messages = await this.client!.consume(batchSize);
      this.take(messages);
      await this.handleRebalances();
      this.flushDue();
      this.flowControl();
      this.updateLag();
    }
    await this.shutdown(this.stopRequest);
  }

  /** Hands a poll's messages to their partitions' tasks. */
  private take(messages: ConsumedMessages): void {
    if (messages.count === 0) return;
    const now = Date.now();
    let ticks = 0;
    let dead = 0;
    for (let i = 0; i < messages.count; i++) {
      const task = this.tasks.get(messages.partition(i));
      if (!task) continue;
      const value = messages.value(i);
      // The check is reused by the next decode, and key and value may be views into the
      // whole poll: the writer copies what it keeps.
      const check = this.decoder.decode(value);
      if (check.ok) ticks++;
      else dead++;
      task.add({ offset: messages.offset(i), timestamp: messages.timestamp(i), key: messages.key(i), value }, check, now);
    }
    if (ticks > 0) this.metrics.records.inc({ result: 'tick' }, ticks);
    if (dead > 0) this.metrics.records.inc({ result: 'dead_letter' }, dead);
  }

  private flushDue(): void {
    const now = Date.now();
    for (const task of this.tasks.values()) task.flushIfDue(now);
  }

  private bufferedBytes(): number {
    let total = 0;
    for (const task of this.tasks.values()) total += task.bufferedBytes;
    return total;
  }

  private flowControl(): void {
    const limit = this.config.sink.maxBufferedMb * 1024 * 1024;
    let total = this.bufferedBytes();
    const tasks = [...this.tasks.values()];
    if (total >= limit && tasks.every((t) => t.pending === 0 && !t.spooling)) {
      // Paused with nothing being written: only closing an open batch frees memory.
      const largest = tasks.reduce<PartitionTask | null>((a, t) => (!a || t.writer.openBytes > a.writer.openBytes ? t : a), null);
      largest?.closeOpen('memory');
      total = this.bufferedBytes();
    }
    const overLimit = total >= limit;
    let paused = 0;
    for (const t of tasks) {
      const pause = overLimit || t.pending >= this.config.sink.maxPendingBatches;
      if (pause !== t.paused) {
        if (pause) this.client!.pause([t.partition]);
        else this.client!.resume([t.partition]);
        t.paused = pause;
        this.log.debug({ partition: t.partition, paused: pause, bufferedBytes: total }, pause ? 'partition paused' : 'partition resumed');
      }
      if (t.paused) paused++;
    }
    this.metrics.pausedPartitions.set(paused);
    this.metrics.bufferedBytes.set(total);
  }

  private updateLag(): void {
    const now = Date.now();
    if (now - this.lastLagUpdate < 1000) return;
    this.lastLagUpdate = now;
    for (const [partition, t] of this.tasks) {
      const high = this.client!.highWatermark(partition);
      if (high !== undefined && t.flusher.committed >= 0) this.metrics.lag.set({ partition: String(partition) }, Math.max(0, high - t.flusher.committed));
    }
  }

  private async handleRebalances(): Promise<void> {
    for (const event of this.client!.takeEvents()) {
      this.metrics.rebalances.inc({ kind: event.kind });
      if (event.kind === 'revoke') await this.revoke(event);
      else await this.assign(event);
    }
  }

  private async revoke({ partitions }: RebalanceEvent): Promise<void> {
    let dropped = 0;
    // With no broker answering (librdkafka revokes the assignment once the group session is
    // lost during an outage) a write under way cannot commit: do not wait for it, or a stop
    // requested meanwhile would wait too.
    const waitMs = this.client!.reach.reachable ? this.config.sink.revokeWaitMs : 0;
    await Promise.all(
      partitions.map(async (p) => {
        const task = this.tasks.get(p);
        if (!task) return;
        this.tasks.delete(p);
        dropped += await task.revoke(waitMs, this.stopping.signal);
        this.metrics.lag.remove({ partition: String(p) });
      }),
    );
    this.client!.unassign();
    this.metrics.droppedOnRevoke.inc(dropped);
    this.metrics.assignedPartitions.set(this.tasks.size);
    this.log.info({ partitions, droppedMessages: dropped }, 'partitions revoked');
  }

  private async assign({ partitions }: RebalanceEvent): Promise<void> {
    const client = this.client!;
    const work = resumePoints(partitions, {
      store: this.store,
      topic: this.topic,
      committedOffsets: (ps) => client.committedOffsets(ps, this.config.sink.commitTimeoutMs),
      backoff: this.backoff,
      signal: this.stopping.signal,
      metrics: this.metrics,
      log: this.log,
    });
    // Keep polling while recovery waits on the store, or the group would evict this member.
    let settled = false;
    void work.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      const stray = await client.consume(1);
      if (stray.count > 0) this.log.warn({ count: stray.count }, 'messages polled before assignment; ignored');
    }
    let result: Awaited<typeof work>;
    try {
      result = await work;
    } catch (err) {
      if (err instanceof AbortedError) return; // stopping before the partitions were ever ours
      throw err;
    }
    const { resumeFrom, kafkaCommitted, rolledBack } = result;
    this.metrics.rolledBack.inc(rolledBack);
    const offsets = new Map<number, number>();
    for (const p of partitions) {
      const c = resumeFrom.get(p)!;
      const flusher = new PartitionFlusher(this.topic, p, this.flushDeps(client), kafkaCommitted.get(p)!);
      flusher.catchUp(c); // a group commit behind the lake's record is brought up to it
      this.tasks.set(p, new PartitionTask(new PartitionWriter(this.topic, p, this.policy, this.config.sink.spillRows), flusher, this.spooler!));
      offsets.set(p, c >= 0 ? c : OFFSET_BEGINNING);
    }
    client.assign(offsets);
    this.metrics.assignedPartitions.set(this.tasks.size);
    this.log.info({ partitions, committed: Object.fromEntries(resumeFrom), rolledBack }, 'partitions assigned');
  }

  /** What a partition's flusher writes with and commits through. */
  private flushDeps(client: GroupClient): ConstructorParameters<typeof PartitionFlusher>[2] {
    return {
      store: this.store,
      deadLetters: this.deadLetters!,
      commit: (_topic: string, partition: number, offset: number, signal: AbortSignal) => client.commit(partition, offset, this.config.sink.commitTimeoutMs, signal),
      encode: (batch: ClosedBatch) => this.spooler!.finish(batch),
      release: (batch: ClosedBatch) => this.spooler!.drop(batch),
      backoff: this.backoff,
      kafkaReachable: () => client.reach.reachable,
      metrics: this.metrics,
      log: this.log,
    };
  }

  /**
   * The stop. Bounded in every case (docs/sink.md, "Kafka outages and stopping"): a finishing stop waits for
   * the open and queued batches at most `shutdownTimeoutMs`, and less when no broker answers
   * (`drainVerdict`). What was not committed is dropped (Kafka keeps it; recovery rolls back
   * written but uncommitted batches at the next start). Closing the Kafka clients is bounded
   * by `closeTimeoutMs`.
   */
  private async shutdown(mode: ShutdownMode): Promise<void> {
    const tasks = [...this.tasks.values()];
    const client = this.client!;
    const reach = client.reach;
    this.log.info({ mode, partitions: this.assigned, kafkaReachable: reach.reachable }, 'sink stopping');
    client.pause(tasks.map((t) => t.partition));
    let reason: StopReason = 'abandoned';
    if (mode === 'finish') {
      for (const t of tasks) t.closeOpen('shutdown');
      const timeout = this.config.sink.shutdownTimeoutMs;
      reason = await this.drain(tasks, Date.now() + timeout);
      if (reason === 'abandoned') this.log.warn('abandon requested; dropping unwritten batches');
      else if (reason === 'timeout') this.log.warn({ timeoutMs: timeout, kafkaReachable: reach.reachable }, 'shutdown timed out; abandoning unwritten batches');
      else if (reason === 'kafka-unreachable') {
        this.log.warn({ unreachableSeconds: Math.round(reach.unreachableSeconds()) }, 'Kafka unreachable: stopping without committing the batches that wait for it');
      } else if (reason === 'rebalance') this.log.warn('partitions revoked during the stop; dropping unwritten batches');
    }
    const uncommittedBatches = tasks.reduce((n, t) => n + t.pending, 0);
    const dropped = tasks.reduce((n, t) => n + t.unwrittenMessages, 0);
    // Aborting stops every retry at once; a store request in flight may take until its own
    // timeout, a dead-letter send until its delivery timeout: neither is waited for past the
    // close bound (nothing is committed after an abort).
    // One deadline for all of the closing; none at all after a second signal while no broker
    // answers (nothing there can succeed, and the operator asked to leave now).
    const closeMs = this.abandoning.signal.aborted && !reach.reachable ? 0 : this.config.sink.closeTimeoutMs;
    const closeBy = Date.now() + closeMs;
    const left = (): number => Math.max(0, closeBy - Date.now());
    await settlesWithin(Promise.all(tasks.map((t) => t.flusher.revoke(0))), left());
    this.tasks.clear();
    this.closing = true;
    // The consumer's close leaves the group and waits for its commits, the dead-letter
    // producer's flushes its queue: with no broker both would wait until one answers, so
    // during an outage they are left unclosed (group-client.ts says why).
    const consumerClosed = await client.close(left());
    const dlqClosed = reach.reachable && (await settlesWithin(this.deadLetters?.close() ?? Promise.resolve(), left()));
    if (!consumerClosed || !dlqClosed) {
      this.log.warn({ kafkaReachable: reach.reachable, closeTimeoutMs: closeMs, consumerClosed, deadLettersClosed: dlqClosed }, 'Kafka clients not closed; leaving them to the exit');
    }
    await this.spooler?.close();
    await this.store.close();
    this.outcome = {
      mode,
      reason: mode === 'abandon' ? 'abandoned' : reason,
      uncommittedBatches,
      abandonedMessages: dropped,
      kafkaReachable: reach.reachable,
      kafkaClosed: consumerClosed && dlqClosed,
    };
    this.log.info({ ...this.outcome }, 'sink stopped');
  }

  /**
   * Waits for the flushers of a finishing stop, polling the paused consumer meanwhile (the
   * poll delivers commit outcomes and the statistics reachability is read from; messages
   * fetched before the pause are ignored: they are after every batch being finished).
   */
  private async drain(tasks: readonly PartitionTask[], deadline: number): Promise<StopReason> {
    const client = this.client!;
    for (;;) {
      const verdict = drainVerdict(
        tasks.map((t) => ({ pending: t.pending, stage: t.flusher.stage })),
        { abandoned: this.abandoning.signal.aborted, pastDeadline: Date.now() >= deadline, rebalancing: client.hasEvents, kafkaReachable: client.reach.reachable },
      );
      if (verdict) return verdict;
      await client.consume(1);
    }
  }
}
