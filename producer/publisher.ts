/**
 * The Kafka side of the producer: node-rdkafka with the project's idempotent, acks=all,
 * compressed settings, bounded memory and an exact account of what was acknowledged.
 *
 * Delivery accounting. librdkafka reports every message exactly once, as delivered or
 * failed. node-rdkafka turns each report into a JavaScript object and event, which costs
 * about as much CPU as producing the message (measured: about 5 us per message on the
 * bench machine, halving throughput). So the producer asks librdkafka for failure reports
 * only (`delivery.report.only.error`): each failure is counted and logged, and once
 * `flush` has emptied the queue every message that did not fail was acknowledged by all
 * in-sync replicas. Delivered = produced - failed, exact after a completed flush; while
 * running it is estimated from librdkafka's statistics (messages still queued).
 *
 * Implicit acks. librdkafka also reports a message as delivered, without an offset, when a
 * later batch of its partition was acknowledged while it waited to be retried
 * (lib/delivery.ts); after a topic's creation that message may never have been written.
 * With failure reports only, such a message has no report at all; the one sign of it is
 * librdkafka's IMPLICITACK line of the `eos` debug context, which this client turns on (a
 * few lines per producer life, none per message). Each implicitly acknowledged tick is
 * counted as *unconfirmed*, never as delivered, and logged with its partition and message
 * ids; after the final flush `recheckImplicitAcks` reads the partition back
 * (producer/recheck.ts): found = delivered, absent = failed, not re-checkable = stays
 * unconfirmed. An implicitly acknowledged dead letter counts as failed. docs/producer.md
 * states the rule (no re-send: the sink keeps every offset, so a re-sent tick that was in
 * fact written would be a duplicate in the lake).
 *
 * Batch-native ticks. With `kafka.client=native` (and the addon built) the ticks go through
 * producer/native-ticks.ts, one call per batch with one result per batch carrying every
 * failure and every implicit ack by index; this node-rdkafka client then carries only the
 * dead letters, the statistics (reachability) and the start offsets. Same settings, same
 * counts, same re-check of implicit acks.
 *
 * Backpressure. librdkafka's queue is bounded (`queue.buffering.max.messages` and
 * `.kbytes`); when it is full produce() throws QUEUE_FULL and the caller awaits
 * `waitForSpace()` and retries the same message. Nothing is dropped, nothing buffers
 * without bound, and reading the input pauses meanwhile.
 */
import Kafka from 'node-rdkafka';
import { chooseKafkaClient } from '../lib/kafka-batch.js';
import { classifyReport, parseImplicitAck, withEosDebug } from '../lib/delivery.js';
import type { DeadLetterMessage } from '../lib/dlq.js';
import { producerSettings, type TopicNames } from '../lib/kafka.js';
import { connectClient, disconnectClient, drainReports, flushOnce, isQueueFull, produceWhenQueueFree } from '../lib/rdkafka.js';
import { sleep } from '../lib/async.js';
import { watchReachability, type KafkaReachability } from '../lib/kafka-reachability.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig } from '../lib/settings.js';
import { AckLog } from './ack-log.js';
import { NATIVE_BATCH_TICKS, NATIVE_MAX_IN_FLIGHT, NativeTicks, type NativeOutcome, type UnsettledTick } from './native-ticks.js';
import { recheckImplicitAcks, recordImplicitAck, type ImplicitAckOutcome } from './implicit-acks.js';
import { SentLog, seqOfValue } from './recheck.js';
import type { RdkafkaStats } from './rdkafka-stats.js';

export type { RdkafkaStats } from './rdkafka-stats.js';
import { Router, type Route } from './wire.js';

export interface PublisherOptions {
  readonly kafka: KafkaConfig;
  readonly topics: TopicNames;
  /** Partition count of the ticks topic (from cluster metadata). */
  readonly partitions: number;
  readonly queueMaxMessages: number;
  readonly lingerMs: number;
  readonly compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  readonly statsIntervalMs: number;
  readonly logger: Logger;
  readonly connectTimeoutMs?: number;
  /** producer.ackLog: a file to append every delivery report of the ticks topic to (producer/ack-log.ts). */
  readonly ackLog?: string;
}

const FATAL = Kafka.CODES.ERRORS.ERR__FATAL;
const LOGGED_FAILURES = 20;

/** A flush waits in slices this long (see `flush`). */
const FLUSH_SLICE_MS = 500;
/** Pause before producing again into a full queue: librdkafka has no event for freed space. */
const SPACE_WAIT_MS = 2;

export class Publisher {
  produced = 0;
  failed = 0;
  unconfirmed = 0;
  /** The implicit acknowledgements seen, as librdkafka stated them (topic, partition, message ids). */
  readonly implicitAcks: ImplicitAckOutcome[] = [];
  /** Which tick each recent message id of the ticks topic was (for the re-check). */
  private readonly sent: SentLog;
  /** End offset of each ticks partition when the run started: where a re-check reads from. */
  private readonly startOffsets = new Map<number, number>();
  dlqProduced = 0;
  dlqFailed = 0;
  queueFullWaits = 0;
  /** Failure reasons and how often each occurred. */
  readonly failureReasons = new Map<string, number>();
  /** Latest librdkafka statistics. */
  stats: RdkafkaStats = {};
  /** Set when librdkafka reports a fatal error: the producer cannot continue. */
  fatal: Error | null = null;
  readonly router: Router;
  /** Whether a broker answers (from the statistics and the error event). */
  reach: KafkaReachability | null = null;
  private statsListeners: Array<(s: RdkafkaStats) => void> = [];
  /** Set with producer.ackLog: every report of the ticks topic is written there. */
  private readonly ackLog: AckLog | null;
  /** Set when the ticks go through the batch-native client (kafka.client=native). */
  private native: NativeTicks | null = null;
  /** Implicitly acknowledged ticks of the native client, by the outcome entry they count in. */
  private readonly nativeUnconfirmed = new Map<ImplicitAckOutcome, UnsettledTick[]>();

  private constructor(
    private readonly producer: Kafka.Producer,
    private readonly options: PublisherOptions,
  ) {
    this.router = new Router(options.partitions);
    // An implicit ack names messages still in librdkafka's queue, which holds at most
    // queueMaxMessages; twice that leaves room for the ones acknowledged meanwhile.
    this.sent = new SentLog(options.queueMaxMessages * 2 + 1000);
    this.ackLog = options.ackLog ? new AckLog(options.ackLog) : null;
  }

  static async connect(options: PublisherOptions): Promise<Publisher> {
    const config = {
      ...producerSettings(
        options.kafka,
        {
          lingerMs: options.lingerMs,
          compression: options.compression,
          queueMaxMessages: options.queueMaxMessages,
          statisticsIntervalMs: options.statsIntervalMs,
        },
        'producer',
      ),
      // Failure reports only, unless an ack log wants every report (producer/ack-log.ts).
      'delivery.report.only.error': !options.ackLog,
      // Same partition for a key as the Java client; dead letters are partitioned by it.
      partitioner: 'murmur2_random',
      // Makes implicit acknowledgements visible (see the module comment).
      debug: withEosDebug(options.kafka.debug),
      event_cb: true,
    } as Kafka.ProducerGlobalConfig;
    const producer = new Kafka.Producer(config);
    const publisher = new Publisher(producer, options);
    producer.on('delivery-report', (err, report) => publisher.onFailure(err, report));
    // On the native path the statistics of the ticks come from its own client (startNative);
    // this one's still feed the reachability (watchReachability below).
    producer.on('event.stats', (e: { message: string }) => publisher.native === null && publisher.onStats(e.message));
    producer.on('event.log', (e: { fac: string; message: string }) => publisher.onLog(e.fac, e.message));
    // The outage is logged once at its start and once at its end; the client's repeated
    // connection errors meanwhile only at debug level.
    publisher.reach = watchReachability(producer, options.logger, 'producer');
    producer.on('event.error', (err: Kafka.LibrdKafkaError) => {
      if (err.code === FATAL || (err as { isFatal?: boolean }).isFatal) {
        publisher.fatal = new Error(`Kafka producer fatal error: ${err.message}`);
        options.logger.error({ err: err.message, code: err.code }, 'fatal Kafka producer error');
      } else if (publisher.reach?.reachable === false) {
        options.logger.debug({ err: err.message, code: err.code }, 'Kafka client error (retrying)');
      } else {
        // Broker down, connection refused, ...: librdkafka retries on its own.
        options.logger.warn({ err: err.message, code: err.code }, 'Kafka client error (retrying)');
      }
    });
    await connectClient(producer, options.connectTimeoutMs ?? 30_000, `cannot connect to Kafka at ${options.kafka.bootstrap}`);
    // Serves failure reports and statistics.
    producer.setPollInterval(20);
    await publisher.readStartOffsets();
    publisher.startNative();
    return publisher;
  }

  /** Which client carries the ticks: node-rdkafka, or the batch-native addon. */
  get client(): 'rdkafka' | 'native' {
    return this.native ? 'native' : 'rdkafka';
  }

  private startNative(): void {
    const { kafka, logger } = this.options;
    if (kafka.client !== 'native') return;
    if (this.options.ackLog) {
      // The ack log wants each report with its offset and tick; batch results carry counts.
      logger.warn('producer.ackLog is set: ticks go through node-rdkafka, not the batch-native client');
      return;
    }
    const choice = chooseKafkaClient('native', (fields, message) => logger.warn(fields, message));
    if (choice.kind !== 'native') return;
    const settings = {
      ...producerSettings(kafka, { lingerMs: this.options.lingerMs, compression: this.options.compression, queueMaxMessages: this.options.queueMaxMessages }, 'producer'),
      partitioner: 'murmur2_random',
      'statistics.interval.ms': this.options.statsIntervalMs,
      // Every report reaches C, with its offset: no eos debug lines needed for implicit acks.
      ...(kafka.debug ? { debug: kafka.debug } : {}),
    };
    this.native = NativeTicks.create(choice.addon, settings, {
      topic: this.options.topics.ticks,
      // librdkafka copies each tick when the batch is handed over, but the batch's buffer is
      // kept until its last report: a few batches in flight keep every broker busy (one
      // request in flight each) without holding the queue bound twice over in memory.
      maxInFlight: Math.min(this.options.queueMaxMessages, NATIVE_MAX_IN_FLIGHT),
      logger,
      onOutcome: (o) => this.onNativeOutcome(o),
      onStats: (json) => this.onStats(json),
      onError: (err) => {
        if (err.isFatal) {
          this.fatal = new Error(`Kafka producer fatal error: ${err.message}`);
          logger.error({ err: err.message, code: err.code, client: 'native' }, 'fatal Kafka producer error');
        } else if (this.reach?.reachable === false) {
          logger.debug({ err: err.message, code: err.code, client: 'native' }, 'Kafka client error (retrying)');
        } else {
          logger.warn({ err: err.message, code: err.code, client: 'native' }, 'Kafka client error (retrying)');
        }
      },
    });
    logger.info({ batchTicks: NATIVE_BATCH_TICKS, librdkafka: choice.addon.librdkafkaVersion }, 'ticks go through the batch-native Kafka client');
  }

  private onNativeOutcome(o: NativeOutcome): void {
    const topic = this.options.topics.ticks;
    for (const f of o.failed) {
      this.failed += 1;
      this.failureReasons.set(f.reason, (this.failureReasons.get(f.reason) ?? 0) + 1);
      if (this.failed + this.dlqFailed <= LOGGED_FAILURES) {
        this.options.logger.error({ topic, partition: f.partition, key: f.symbol, seq: f.seq, err: f.reason, code: f.code }, 'delivery failed');
      }
    }
    if (o.unconfirmed.length === 0) return;
    const byPartition = new Map<number, UnsettledTick[]>();
    for (const t of o.unconfirmed) byPartition.set(t.partition, [...(byPartition.get(t.partition) ?? []), t]);
    for (const [partition, ticks] of byPartition) {
      const ack: ImplicitAckOutcome = { topic, partition, count: ticks.length, firstMsgid: -1, lastMsgid: -1, confirmed: 0, absent: 0 };
      this.implicitAcks.push(ack);
      this.nativeUnconfirmed.set(ack, ticks);
      this.unconfirmed += ticks.length;
      this.options.logger.error(
        { topic, partition, messages: ticks.length, ticks: ticks.slice(0, LOGGED_FAILURES).map((t) => `${t.symbol}#${t.seq}`) },
        `${ticks.length} message(s) acknowledged without an offset (librdkafka implicit ack); counted unconfirmed until re-checked`,
      );
    }
  }

  route(symbol: string): Route {
    return this.router.route(symbol);
  }

  /** Hands one tick to librdkafka; false when its queue is full (await waitForSpace, then retry). */
  tryTick(route: Route, value: Buffer): boolean {
    if (this.native) {
      if (!this.native.tryAdd(route, value, seqOfValue(value))) return false;
      this.produced += 1;
      return true;
    }
    try {
      // No message timestamp: Kafka's time-based retention works on it, and an event time
      // from 1965 would make the broker delete the segment at once. Kafka stamps it.
      if (this.ackLog) {
        // The opaque comes back with the report: which tick it was.
        this.producer.produce(this.options.topics.ticks, route.partition, value, route.key, undefined, { symbol: route.symbolJson, seq: seqOfValue(value) });
      } else {
        this.producer.produce(this.options.topics.ticks, route.partition, value, route.key);
      }
    } catch (err) {
      if (isQueueFull(err)) return false;
      throw err;
    }
    this.produced += 1;
    this.sent.record(route.partition, route.symbolJson, seqOfValue(value));
    return true;
  }

  /** Resolves when librdkafka has probably freed queue space (it has no event for that). */
  waitForSpace(): Promise<void> {
    this.queueFullWaits += 1;
    if (this.native) return this.native.waitForSpace();
    return sleep(SPACE_WAIT_MS);
  }

  /** Publishes a dead letter, waiting for queue space if needed. */
  async deadLetter(message: DeadLetterMessage): Promise<void> {
    await produceWhenQueueFree(
      () => this.producer.produce(this.options.topics.dlq, null, message.value, message.key, undefined, undefined, message.headers),
      SPACE_WAIT_MS,
      () => (this.queueFullWaits += 1),
    );
    this.dlqProduced += 1;
  }

  /** Messages librdkafka still holds (queued or awaiting acknowledgement), per its latest statistics. */
  queued(): number {
    // Native: the ticks unsettled (what its client's msg_cnt counts too, and the batch being built).
    return this.native ? this.native.queued : (this.stats.msg_cnt ?? 0);
  }

  onStatistics(listener: (s: RdkafkaStats) => void): void {
    this.statsListeners.push(listener);
  }

  /**
   * Waits until every produced message is acknowledged or failed (true), or the timeout
   * passes with messages still in flight (false), then lets the last failure reports
   * reach JavaScript before the counts are read.
   */
  async flush(timeoutMs: number, giveUp: () => boolean = () => false): Promise<boolean> {
    // In slices, so a stop during a Kafka outage need not wait the whole timeout (`giveUp`).
    const deadline = Date.now() + timeoutMs;
    let flushed = false;
    while (this.native) {
      const slice = Math.max(0, Math.min(FLUSH_SLICE_MS, deadline - Date.now()));
      if (await this.native.flush(slice)) break;
      if (Date.now() >= deadline || giveUp()) return false;
    }
    for (;;) {
      const slice = Math.max(0, Math.min(FLUSH_SLICE_MS, deadline - Date.now()));
      flushed = await flushOnce(this.producer, slice);
      if (flushed || Date.now() >= deadline || giveUp()) break;
    }
    await drainReports(this.producer);
    return flushed;
  }

  /**
   * Closes the client. With no broker answering it is left open instead: its close would
   * wait on libuv's thread pool, which the process joins at exit, so the exit would wait for
   * the cluster too. The caller exits the process (producer/main.ts) after such a run.
   */
  async disconnect(): Promise<void> {
    this.producer.setPollInterval(0);
    await this.ackLog?.close();
    // Its threads end here whatever the cluster does: what it still holds is purged (failed).
    await this.native?.close();
    if (this.reach?.reachable === false) return;
    await disconnectClient(this.producer);
  }

  private onFailure(err: Kafka.LibrdKafkaError | null, report: Kafka.DeliveryReport): void {
    if (this.ackLog && report.topic === this.options.topics.ticks) {
      const tick = report.opaque as { symbol: string; seq: number } | undefined;
      if (tick) this.ackLog.record(classifyReport(err, report.offset), report.partition, report.offset, JSON.parse(tick.symbol) as string, tick.seq);
    }
    if (!err) return; // only failures are reported (unless an ack log wants all), see the module comment
    if (report.topic === this.options.topics.dlq) this.dlqFailed += 1;
    else this.failed += 1;
    const reason = err.message || String(err.code);
    const seen = (this.failureReasons.get(reason) ?? 0) + 1;
    this.failureReasons.set(reason, seen);
    if (this.failed + this.dlqFailed <= LOGGED_FAILURES) {
      this.options.logger.error(
        { topic: report.topic, partition: report.partition, key: report.key?.toString(), err: reason, code: err.code },
        'delivery failed',
      );
    }
  }

  /** After the final flush: re-reads the partitions of implicitly acknowledged ticks (producer/implicit-acks.ts). */
  async recheckImplicitAcks(timeoutMs: number): Promise<void> {
    await recheckImplicitAcks({
      account: this,
      acks: this.implicitAcks,
      nativeUnconfirmed: this.nativeUnconfirmed,
      sent: this.sent,
      startOffsets: this.startOffsets,
      kafka: this.options.kafka,
      topic: this.options.topics.ticks,
      logger: this.options.logger,
      timeoutMs,
    });
  }

  /** librdkafka log lines (debug contexts): only the implicit acknowledgements matter here. */
  onLog(facility: string, message: string): void {
    const parsed = parseImplicitAck(facility, message);
    if (parsed) recordImplicitAck(this, this.implicitAcks, parsed, this.options.topics, this.options.logger);
  }

  /** Where each ticks partition ended before this client sent anything (the re-check reads from there). */
  private async readStartOffsets(): Promise<void> {
    const { ticks } = this.options.topics;
    await Promise.all(
      Array.from({ length: this.options.partitions }, (_, partition) =>
        new Promise<void>((resolve) => {
          this.producer.queryWatermarkOffsets(ticks, partition, 10_000, (err, w) => {
            if (err) this.options.logger.warn({ partition, err: err.message }, 'end offset unknown: implicit acks on this partition cannot be re-checked');
            else this.startOffsets.set(partition, w.highOffset);
            resolve();
          });
        }),
      ),
    );
  }

  private onStats(json: string): void {
    try {
      this.stats = JSON.parse(json) as RdkafkaStats;
    } catch {
      return;
    }
    for (const l of this.statsListeners) l(this.stats);
  }
}
