/**
 * The sink service: a node-rdkafka consumer in a group, one PartitionWriter and one
 * PartitionFlusher per assigned partition, backpressure, rebalances and shutdown.
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
import Kafka from 'node-rdkafka';
import { consumerSettings, consumerTopicSettings, topicNames } from '../lib/kafka.js';
import { REACHABILITY_STATS_INTERVAL_MS, watchReachability, type KafkaReachability } from '../lib/kafka-reachability.js';
import type { Logger } from '../lib/logger.js';
import { encodeBatch } from './batch-files.js';
import { KafkaDeadLetterSink, type DeadLetterSink } from './dead-letters.js';
import { PartitionFlusher } from './flusher.js';
import { SinkMetrics } from './metrics.js';
import { OffsetCommitter, type CommittedPartition } from './offset-committer.js';
import { PartitionWriter, type ClosedBatch } from './partition-writer.js';
import { recoverPartition } from './recovery.js';
import { AbortedError, retry, settlesWithin, type BackoffPolicy } from './retry.js';
import type { RotationPolicy } from './rotation.js';
import type { SinkSpecConfig } from './settings.js';
import type { ObjectStore } from './store/store.js';
import { TickDecoder } from './tick-decoder.js';

const ERR_ASSIGN = -175; // RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
const ERR_REVOKE = -174; // RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS
const OFFSET_BEGINNING = -2;
const CONSUME_TIMEOUT_MS = 100;

export interface SinkOptions {
  readonly config: SinkSpecConfig;
  readonly store: ObjectStore;
  readonly log: Logger;
  readonly metrics?: SinkMetrics;
  /** Replaces the Kafka dead-letter producer (tests). */
  readonly deadLetters?: DeadLetterSink;
}

interface PartitionState {
  readonly writer: PartitionWriter;
  readonly flusher: PartitionFlusher;
  paused: boolean;
}

type RebalanceEvent = { readonly kind: 'assign' | 'revoke'; readonly partitions: readonly Kafka.TopicPartition[] };

export type ShutdownMode = 'finish' | 'abandon';

/** Why a stop ended the way it did. */
export type StopReason = 'finished' | 'abandoned' | 'timeout' | 'kafka-unreachable' | 'rebalance';

/** How the last stop went: what `service.ts` turns into the exit status. */
export interface StopOutcome {
  readonly mode: ShutdownMode;
  readonly reason: StopReason;
  /** Closed batches that were not committed (re-read by the next start). */
  readonly uncommittedBatches: number;
  /** Messages read but not committed (open and uncommitted batches). */
  readonly abandonedMessages: number;
  /** Whether a broker answered when the stop ended. */
  readonly kafkaReachable: boolean;
  /** Whether the Kafka clients closed within `closeTimeoutMs`. */
  readonly kafkaClosed: boolean;
}

export class Sink {
  readonly topic: string;
  readonly metrics: SinkMetrics;
  private readonly config: SinkSpecConfig;
  private readonly store: ObjectStore;
  private readonly log: Logger;
  private readonly policy: RotationPolicy;
  private readonly backoff: BackoffPolicy;
  private consumer: Kafka.KafkaConsumer | null = null;
  private committer: OffsetCommitter | null = null;
  /** Whether a broker answers the consumer (metrics, logs, and how a stop ends). */
  private reach: KafkaReachability | null = null;
  /** Set once a stop has ended. */
  outcome: StopOutcome | null = null;
  private deadLetters: DeadLetterSink | null;
  private readonly decoder = new TickDecoder();
  private readonly partitions = new Map<number, PartitionState>();
  private readonly events: RebalanceEvent[] = [];
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
    return [...this.partitions.keys()].sort((a, b) => a - b);
  }

  /** Connects, joins the group and starts the loop; resolves once the loop runs. */
  async start(): Promise<void> {
    const { kafka, sink } = this.config;
    this.deadLetters ??= await KafkaDeadLetterSink.connect(kafka, topicNames(this.config.topics).dlq);
    const consumer = new Kafka.KafkaConsumer(
      {
        ...consumerSettings(kafka, sink.group, 'sink'),
        // Bigger fetches: the sink reads in bulk.
        'fetch.max.bytes': 52_428_800,
        'max.partition.fetch.bytes': 4_194_304,
        'queued.max.messages.kbytes': 65_536,
        'partition.assignment.strategy': 'range,roundrobin',
        'session.timeout.ms': sink.sessionTimeoutMs,
        'heartbeat.interval.ms': Math.floor(sink.sessionTimeoutMs / 3),
        ...(sink.instanceId ? { 'group.instance.id': sink.instanceId } : {}),
        rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.TopicPartition[]) => this.onRebalance(err, assignment),
        // Commits are asynchronous (offset-committer.ts); their outcome arrives here.
        offset_commit_cb: (err: Kafka.LibrdKafkaError | undefined, offsets: CommittedPartition[]) => this.committer?.onResult(err, offsets),
        // Broker connection states, for kafka-reachability.ts.
        'statistics.interval.ms': REACHABILITY_STATS_INTERVAL_MS,
      },
      consumerTopicSettings(),
    );
    this.committer = new OffsetCommitter((tp) => consumer.commit(tp));
    const reach = watchReachability(consumer, this.log, 'sink');
    this.reach = reach;
    this.metrics.kafkaReach = reach;
    // During an outage librdkafka repeats its connection errors every few seconds; the
    // outage itself is logged once (start and end), the repeats only at debug level.
    consumer.on('event.error', (err) => {
      if (reach.reachable) this.log.warn({ err: err.message }, 'kafka client error');
      else this.log.debug({ err: err.message }, 'kafka client error');
    });
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(new Error(`cannot connect to Kafka at ${kafka.bootstrap}: ${err.message}`)) : resolve()));
    });
    consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    consumer.subscribe([this.topic]);
    this.consumer = consumer;
    this.log.info({ topic: this.topic, group: sink.group, lake: this.store.url, partitioning: this.config.lake.partitioning }, 'sink started');
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

  private onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.TopicPartition[]): void {
    const consumer = this.consumer;
    if (this.closing && consumer) {
      // Disconnecting: librdkafka waits for the (un)assign call; the loop is gone.
      if (err.code === ERR_REVOKE) consumer.unassign();
      return;
    }
    if (err.code === ERR_ASSIGN) this.events.push({ kind: 'assign', partitions: assignment });
    else if (err.code === ERR_REVOKE) this.events.push({ kind: 'revoke', partitions: assignment });
    else this.log.error({ err: err.message }, 'rebalance error');
  }

  private consume(count: number): Promise<Kafka.Message[]> {
    return new Promise((resolve) => {
      this.consumer!.consume(count, (err, messages) => {
        if (err) {
          this.log.warn({ err: err.message }, 'consume failed');
          resolve([]);
        } else resolve(messages);
      });
    });
  }

  private async run(): Promise<void> {
    const batchSize = this.config.sink.consumeBatch;
    while (!this.stopRequest) {
      const messages = await this.consume(batchSize);
      this.take(messages);
      await this.handleRebalances();
      this.flushDue();
      this.flowControl();
      this.updateLag();
    }
    await this.shutdown(this.stopRequest);
  }

  /** Hands a poll's messages to their partitions' writers. */
  private take(messages: readonly Kafka.Message[]): void {
    if (messages.length === 0) return;
    const now = Date.now();
    let ticks = 0;
    let dead = 0;
    for (const m of messages) {
      const state = m.topic === this.topic ? this.partitions.get(m.partition) : undefined;
      if (!state) continue;
      const value = m.value ?? null;
      // Reused by the next decode: the writer copies what it keeps.
      const check = this.decoder.decode(value);
      if (check.ok) ticks++;
      else dead++;
      const key = m.key === undefined || m.key === null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key;
      const closed = state.writer.add({ offset: m.offset, timestamp: m.timestamp ?? 0, key, value }, check, now);
      for (const batch of closed) this.enqueue(state, batch);
    }
    if (ticks > 0) this.metrics.records.inc({ result: 'tick' }, ticks);
    if (dead > 0) this.metrics.records.inc({ result: 'dead_letter' }, dead);
  }

  private enqueue(state: PartitionState, batch: ClosedBatch): void {
    state.flusher.enqueue(batch);
  }

  private flushDue(): void {
    const now = Date.now();
    for (const state of this.partitions.values()) {
      const batch = state.writer.flushIfDue(now);
      if (batch) this.enqueue(state, batch);
    }
  }

  private bufferedBytes(): number {
    let total = 0;
    for (const s of this.partitions.values()) total += s.writer.openBytes + s.flusher.bufferedBytes;
    return total;
  }

  private flowControl(): void {
    const limit = this.config.sink.maxBufferedMb * 1024 * 1024;
    let total = this.bufferedBytes();
    const states = [...this.partitions.values()];
    if (total >= limit && states.every((s) => s.flusher.pending === 0)) {
      // Paused with nothing being written: only closing an open batch frees memory.
      const largest = states.reduce<PartitionState | null>((a, s) => (!a || s.writer.openBytes > a.writer.openBytes ? s : a), null);
      const batch = largest?.writer.closeOpen('memory');
      if (largest && batch) this.enqueue(largest, batch);
      total = this.bufferedBytes();
    }
    const overLimit = total >= limit;
    let paused = 0;
    for (const s of states) {
      const pause = overLimit || s.flusher.pending >= this.config.sink.maxPendingBatches;
      if (pause !== s.paused) {
        const tp = [{ topic: this.topic, partition: s.writer.partition }];
        if (pause) this.consumer!.pause(tp);
        else this.consumer!.resume(tp);
        s.paused = pause;
        this.log.debug({ partition: s.writer.partition, paused: pause, bufferedBytes: total }, pause ? 'partition paused' : 'partition resumed');
      }
      if (s.paused) paused++;
    }
    this.metrics.pausedPartitions.set(paused);
    this.metrics.bufferedBytes.set(total);
  }

  private updateLag(): void {
    const now = Date.now();
    if (now - this.lastLagUpdate < 1000) return;
    this.lastLagUpdate = now;
    for (const [partition, s] of this.partitions) {
      try {
        const { highOffset } = this.consumer!.getWatermarkOffsets(this.topic, partition);
        if (highOffset >= 0 && s.flusher.committed >= 0) this.metrics.lag.set({ partition: String(partition) }, Math.max(0, highOffset - s.flusher.committed));
      } catch {
        // no watermark known yet
      }
    }
  }

  private async handleRebalances(): Promise<void> {
    while (this.events.length > 0) {
      const event = this.events.shift()!;
      const mine = event.partitions.filter((tp) => tp.topic === this.topic).map((tp) => tp.partition);
      this.metrics.rebalances.inc({ kind: event.kind });
      if (event.kind === 'revoke') await this.revoke(mine);
      else await this.assign(mine);
    }
  }

  private async revoke(partitions: readonly number[]): Promise<void> {
    let dropped = 0;
    // With no broker answering (librdkafka revokes the assignment once the group session is
    // lost during an outage) a write under way cannot commit: do not wait for it, or a stop
    // requested meanwhile would wait too.
    const waitMs = this.reach?.reachable === false ? 0 : this.config.sink.revokeWaitMs;
    await Promise.all(
      partitions.map(async (p) => {
        const state = this.partitions.get(p);
        if (!state) return;
        this.partitions.delete(p);
        dropped += state.writer.openMessages + (await state.flusher.revoke(waitMs, this.stopping.signal));
        this.metrics.lag.remove({ partition: String(p) });
      }),
    );
    this.consumer!.unassign();
    this.metrics.droppedOnRevoke.inc(dropped);
    this.metrics.assignedPartitions.set(this.partitions.size);
    this.log.info({ partitions, droppedMessages: dropped }, 'partitions revoked');
  }

  private async assign(partitions: readonly number[]): Promise<void> {
    const work = (async () => {
      const committed = await retry(() => this.committedOffsets(partitions), {
        policy: this.backoff,
        signal: this.stopping.signal,
        onError: (err) => this.log.warn({ err: (err as Error).message }, 'reading committed offsets failed; retrying'),
      });
      let rolledBack = 0;
      const resume = new Map<number, number>();
      await Promise.all(
        partitions.map(async (p) => {
          const outcome = await retry(() => recoverPartition(this.store, this.topic, p, committed.get(p)!), {
            policy: this.backoff,
            signal: this.stopping.signal,
            onError: (err, attempt, delayMs) => {
              this.metrics.storeErrors.inc({ op: 'recover' });
              this.log.warn({ err: (err as Error).message, partition: p, attempt, retryInMs: delayMs }, 'recovery failed; retrying');
            },
          });
          rolledBack += outcome.rolledBack.length;
          resume.set(p, outcome.resumeFrom);
          if (outcome.lakeOffset > committed.get(p)!) {
            this.log.warn({ partition: p, committed: committed.get(p), lakeOffset: outcome.lakeOffset },
              "the group's committed offset is behind what the lake holds; reading from the lake's offset");
          }
          if (outcome.rolledBack.length > 0) {
            this.log.info({ partition: p, batches: outcome.rolledBack.map((b) => b.startOffset), objects: outcome.deletedObjects }, 'rolled back uncommitted batches');
          }
        }),
      );
      return { committed: resume, kafkaCommitted: committed, rolledBack };
    })();
    // Keep polling while recovery waits on the store, or the group would evict this member.
    let settled = false;
    void work.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      const stray = await this.consume(1);
      if (stray.length > 0) this.log.warn({ count: stray.length }, 'messages polled before assignment; ignored');
    }
    let result: Awaited<typeof work>;
    try {
      result = await work;
    } catch (err) {
      if (err instanceof AbortedError) return; // stopping before the partitions were ever ours
      throw err;
    }
    const { committed, kafkaCommitted, rolledBack } = result;
    this.metrics.rolledBack.inc(rolledBack);
    const assignment: Kafka.Assignment[] = [];
    for (const p of partitions) {
      const c = committed.get(p)!;
      const deps = {
        store: this.store,
        deadLetters: this.deadLetters!,
        // Never commitSync: it blocks the event loop until a coordinator answers (issue 20).
        commit: async (topic: string, partition: number, offset: number, signal: AbortSignal) => {
          await this.committer!.commit(topic, partition, offset, this.config.sink.commitTimeoutMs, signal);
          this.reach?.observeSuccess();
        },
        encode: (batch: ClosedBatch) => encodeBatch(batch, { bars: this.config.sink.bars, partitioning: this.config.lake.partitioning }),
        backoff: this.backoff,
        kafkaReachable: () => this.reach?.reachable !== false,
        metrics: this.metrics,
        log: this.log,
      };
      const flusher = new PartitionFlusher(this.topic, p, deps, kafkaCommitted.get(p)!);
      flusher.catchUp(c); // a group commit behind the lake's record is brought up to it
      this.partitions.set(p, { writer: new PartitionWriter(this.topic, p, this.policy), flusher, paused: false });
      assignment.push({ topic: this.topic, partition: p, offset: c >= 0 ? c : OFFSET_BEGINNING });
    }
    this.consumer!.assign(assignment);
    // librdkafka keeps a partition's pause flag across assignments: a partition this member
    // paused under a previous assignment would otherwise never be fetched again.
    this.consumer!.resume(assignment.map(({ topic, partition }) => ({ topic, partition })));
    this.metrics.assignedPartitions.set(this.partitions.size);
    this.log.info({ partitions, committed: Object.fromEntries(committed), rolledBack }, 'partitions assigned');
  }

  private committedOffsets(partitions: readonly number[]): Promise<Map<number, number>> {
    return new Promise((resolve, reject) => {
      if (partitions.length === 0) return resolve(new Map());
      this.consumer!.committed(
        partitions.map((partition) => ({ topic: this.topic, partition })),
        this.config.sink.commitTimeoutMs,
        (err, tps) => {
          if (err) return reject(new Error(`committed offsets: ${err.message}`));
          resolve(new Map(tps.map((tp) => [tp.partition, typeof tp.offset === 'number' && tp.offset >= 0 ? tp.offset : -1])));
        },
      );
    });
  }

  /**
   * The stop. Bounded in every case (docs/sink.md, "Kafka outages and stopping"): a finishing stop waits for
   * the open and queued batches at most `shutdownTimeoutMs`, and less when no broker answers:
   * once every partition's remaining work waits for Kafka alone (dead letters, commit), there
   * is nothing more that can be made durable, so it ends there. What was not committed is
   * dropped (Kafka keeps it; recovery rolls back written but uncommitted batches at the next
   * start). Closing the Kafka clients is bounded by `closeTimeoutMs`.
   */
  private async shutdown(mode: ShutdownMode): Promise<void> {
    const states = [...this.partitions.values()];
    const reach = this.reach!;
    this.log.info({ mode, partitions: this.assigned, kafkaReachable: reach.reachable }, 'sink stopping');
    if (states.length > 0) this.consumer!.pause(states.map((s) => ({ topic: this.topic, partition: s.writer.partition })));
    let reason: StopReason = 'abandoned';
    if (mode === 'finish') {
      for (const s of states) {
        const batch = s.writer.closeOpen('shutdown');
        if (batch) this.enqueue(s, batch);
      }
      const timeout = this.config.sink.shutdownTimeoutMs;
      reason = await this.drain(states, Date.now() + timeout);
      if (reason === 'abandoned') this.log.warn('abandon requested; dropping unwritten batches');
      else if (reason === 'timeout') this.log.warn({ timeoutMs: timeout, kafkaReachable: reach.reachable }, 'shutdown timed out; abandoning unwritten batches');
      else if (reason === 'kafka-unreachable') {
        this.log.warn({ unreachableSeconds: Math.round(reach.unreachableSeconds()) }, 'Kafka unreachable: stopping without committing the batches that wait for it');
      } else if (reason === 'rebalance') this.log.warn('partitions revoked during the stop; dropping unwritten batches');
    }
    const uncommittedBatches = states.reduce((n, s) => n + s.flusher.pending, 0);
    let dropped = 0;
    for (const s of states) dropped += s.writer.openMessages + s.flusher.queuedMessages;
    // Aborting stops every retry at once; a store request in flight may take until its own
    // timeout, a dead-letter send until its delivery timeout: neither is waited for past the
    // close bound (nothing is committed after an abort).
    // One deadline for all of the closing; none at all after a second signal while no broker
    // answers (nothing there can succeed, and the operator asked to leave now).
    const closeMs = this.abandoning.signal.aborted && !reach.reachable ? 0 : this.config.sink.closeTimeoutMs;
    const closeBy = Date.now() + closeMs;
    const left = (): number => Math.max(0, closeBy - Date.now());
    await settlesWithin(Promise.all(states.map((s) => s.flusher.revoke(0))), left());
    this.committer?.abandonAll('sink stopping');
    this.partitions.clear();
    this.closing = true;
    // librdkafka waits for an (un)assign call after every rebalance callback; the loop that
    // would have made it is gone.
    if (this.events.length > 0) {
      this.events.length = 0;
      this.consumer!.unassign();
    }
    // The consumer's close leaves the group and waits for its commits, the dead-letter
    // producer's flushes its queue: with no broker both wait until one answers. They run on
    // libuv's thread pool, which the process joins when it exits, so a close stuck there would
    // hold the exit too: during an outage the clients are left unclosed (the process is about
    // to exit; the group expires the member after its session timeout).
    let consumerClosed = false;
    let dlqClosed = false;
    if (reach.reachable) {
      consumerClosed = await settlesWithin(new Promise<void>((resolve) => this.consumer!.disconnect(() => resolve())), left());
      dlqClosed = await settlesWithin(this.deadLetters?.close() ?? Promise.resolve(), left());
    }
    if (!consumerClosed || !dlqClosed) {
      this.log.warn({ kafkaReachable: reach.reachable, closeTimeoutMs: closeMs, consumerClosed, deadLettersClosed: dlqClosed }, 'Kafka clients not closed; leaving them to the exit');
    }
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
  private async drain(states: readonly PartitionState[], deadline: number): Promise<StopReason> {
    for (;;) {
      if (states.every((s) => s.flusher.pending === 0)) return 'finished';
      if (this.abandoning.signal.aborted) return 'abandoned';
      if (Date.now() >= deadline) return 'timeout';
      if (this.events.length > 0) return 'rebalance';
      if (!this.reach!.reachable && states.every((s) => s.flusher.pending === 0 || s.flusher.stage === 'kafka')) return 'kafka-unreachable';
      await this.consume(1);
    }
  }
}
