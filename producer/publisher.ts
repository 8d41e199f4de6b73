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
 * Backpressure. librdkafka's queue is bounded (`queue.buffering.max.messages` and
 * `.kbytes`); when it is full produce() throws QUEUE_FULL and the caller awaits
 * `waitForSpace()` and retries the same message. Nothing is dropped, nothing buffers
 * without bound, and reading the input pauses meanwhile.
 */
import Kafka from 'node-rdkafka';
import { parseImplicitAck, withEosDebug, type ImplicitAck } from '../lib/delivery.js';
import type { DeadLetterMessage } from '../lib/dlq.js';
import { producerSettings, type TopicNames } from '../lib/kafka.js';
import { watchReachability, type KafkaReachability } from '../lib/kafka-reachability.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig } from '../lib/settings.js';
import { findTicks, SentLog, seqOfValue, tickId } from './recheck.js';
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
}

/** The parts of librdkafka's statistics JSON the producer reads. */
export interface RdkafkaStats {
  readonly msg_cnt?: number;
  readonly msg_size?: number;
  readonly txmsgs?: number;
  readonly tx_bytes?: number;
  readonly txmsg_bytes?: number;
  readonly brokers?: Record<
    string,
    {
      readonly nodeid?: number;
      readonly state?: string;
      readonly outbuf_msg_cnt?: number;
      readonly waitresp_msg_cnt?: number;
      readonly txretries?: number;
      readonly txerrs?: number;
      readonly rtt?: { readonly avg?: number; readonly p99?: number };
    }
  >;
}

export interface DeliveryCounts {
  /** Ticks handed to librdkafka. */
  readonly produced: number;
  /** Ticks librdkafka reported as not delivered. */
  readonly failed: number;
  /** Ticks librdkafka acknowledged implicitly (no offset): not known to be written. */
  readonly unconfirmed: number;
  readonly dlqProduced: number;
  readonly dlqFailed: number;
  /** Times produce() found the queue full and waited. */
  readonly queueFullWaits: number;
}

const QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;
const FATAL = Kafka.CODES.ERRORS.ERR__FATAL;
const LOGGED_FAILURES = 20;
const IMPLICIT_ACK_REASON = 'acknowledged without an offset (librdkafka implicit ack): unconfirmed';
const ABSENT_REASON = 'acknowledged without an offset (librdkafka implicit ack) and absent from its partition when re-read';

/** An implicit acknowledgement of ticks and what re-reading the partition found. */
export interface ImplicitAckOutcome extends ImplicitAck {
  /** Found in the partition: delivered after all. */
  confirmed: number;
  /** Not in the partition: failed. */
  absent: number;
}

/** A flush waits in slices this long (see `flush`). */
const FLUSH_SLICE_MS = 500;

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

  private constructor(
    private readonly producer: Kafka.Producer,
    private readonly options: PublisherOptions,
  ) {
    this.router = new Router(options.partitions);
    // An implicit ack names messages still in librdkafka's queue, which holds at most
    // queueMaxMessages; twice that leaves room for the ones acknowledged meanwhile.
    this.sent = new SentLog(options.queueMaxMessages * 2 + 1000);
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
      'delivery.report.only.error': true,
      // Same partition for a key as the Java client; dead letters are partitioned by it.
      partitioner: 'murmur2_random',
      // Makes implicit acknowledgements visible (see the module comment).
      debug: withEosDebug(options.kafka.debug),
      event_cb: true,
    } as Kafka.ProducerGlobalConfig;
    const producer = new Kafka.Producer(config);
    const publisher = new Publisher(producer, options);
    producer.on('delivery-report', (err, report) => publisher.onFailure(err, report));
    producer.on('event.stats', (e: { message: string }) => publisher.onStats(e.message));
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
    await new Promise<void>((resolve, reject) => {
      producer.connect({ timeout: options.connectTimeoutMs ?? 30_000 }, (err) =>
        err ? reject(new Error(`cannot connect to Kafka at ${options.kafka.bootstrap}: ${err.message}`)) : resolve(),
      );
    });
    // Serves failure reports and statistics.
    producer.setPollInterval(20);
    await publisher.readStartOffsets();
    return publisher;
  }

  route(symbol: string): Route {
    return this.router.route(symbol);
  }

  /** Hands one tick to librdkafka; false when its queue is full (await waitForSpace, then retry). */
  tryTick(route: Route, value: Buffer): boolean {
    try {
      // No message timestamp: Kafka's time-based retention works on it, and an event time
      // from 1965 would make the broker delete the segment at once. Kafka stamps it.
      this.producer.produce(this.options.topics.ticks, route.partition, value, route.key);
    } catch (err) {
      if ((err as { code?: number }).code === QUEUE_FULL) return false;
      throw err;
    }
    this.produced += 1;
    this.sent.record(route.partition, route.symbolJson, seqOfValue(value));
    return true;
  }

  /** Resolves when librdkafka has probably freed queue space (it has no event for that). */
  waitForSpace(): Promise<void> {
    this.queueFullWaits += 1;
    return new Promise((resolve) => setTimeout(resolve, 2));
  }

  /** Publishes a dead letter, waiting for queue space if needed. */
  async deadLetter(message: DeadLetterMessage): Promise<void> {
    for (;;) {
      try {
        this.producer.produce(this.options.topics.dlq, null, message.value, message.key, undefined, undefined, message.headers);
        this.dlqProduced += 1;
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== QUEUE_FULL) throw err;
      }
      await this.waitForSpace();
    }
  }

  /** Messages librdkafka still holds (queued or awaiting acknowledgement), per its latest statistics. */
  queued(): number {
    return this.stats.msg_cnt ?? 0;
  }

  counts(): DeliveryCounts {
    return {
      produced: this.produced,
      failed: this.failed,
      unconfirmed: this.unconfirmed,
      dlqProduced: this.dlqProduced,
      dlqFailed: this.dlqFailed,
      queueFullWaits: this.queueFullWaits,
    };
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
    for (;;) {
      const slice = Math.max(0, Math.min(FLUSH_SLICE_MS, deadline - Date.now()));
      flushed = await new Promise<boolean>((resolve) => {
        this.producer.flush(slice, (err) => resolve(!err));
      });
      if (flushed || Date.now() >= deadline || giveUp()) break;
    }
    // Reports queued during flush are dispatched on the event loop, 100 per turn.
    for (let i = 0; i < 5; i++) {
      this.producer.poll();
      await new Promise((r) => setTimeout(r, 20));
    }
    return flushed;
  }

  /**
   * Closes the client. With no broker answering it is left open instead: its close would
   * wait on libuv's thread pool, which the process joins at exit, so the exit would wait for
   * the cluster too. The caller exits the process (producer/main.ts) after such a run.
   */
  async disconnect(): Promise<void> {
    this.producer.setPollInterval(0);
    if (this.reach?.reachable === false) return;
    await new Promise<void>((resolve) => this.producer.disconnect(5000, () => resolve()));
  }

  private onFailure(err: Kafka.LibrdKafkaError | null, report: Kafka.DeliveryReport): void {
    if (!err) return; // only failures are reported, see the module comment
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

  /**
   * Re-reads the partitions of implicitly acknowledged ticks (call after the final flush):
   * each tick found there counts delivered, each one absent counts failed (and is logged by
   * symbol and seq); ticks that cannot be re-checked (the partition's start offset unknown,
   * the read failed or timed out, the tick no longer remembered) stay unconfirmed.
   */
  async recheckImplicitAcks(timeoutMs: number): Promise<void> {
    const { ticks: topic } = this.options.topics;
    const byPartition = new Map<number, Array<{ ack: ImplicitAckOutcome; symbol: string; seq: number }>>();
    for (const ack of this.implicitAcks) {
      if (ack.topic !== topic || ack.confirmed + ack.absent > 0) continue;
      const { ticks, forgotten } = this.sent.find(ack.partition, ack.firstMsgid, ack.lastMsgid);
      if (forgotten > 0) this.options.logger.error({ partition: ack.partition, forgotten }, 'implicitly acknowledged ticks no longer remembered; they stay unconfirmed');
      const list = byPartition.get(ack.partition) ?? [];
      for (const t of ticks) {
        // A value without a seq cannot be told from other runs' ticks: not re-checkable.
        if (t.seq >= 0) list.push({ ack, symbol: t.symbol, seq: t.seq });
      }
      if (list.length > 0) byPartition.set(ack.partition, list);
    }
    for (const [partition, list] of byPartition) {
      const from = this.startOffsets.get(partition);
      if (from === undefined) {
        this.options.logger.error({ partition, ticks: list.length }, 'cannot re-check implicitly acknowledged ticks (start offset unknown); they stay unconfirmed');
        continue;
      }
      let found: Set<string>;
      try {
        found = await findTicks(this.options.kafka, topic, partition, from, new Set(list.map((t) => tickId(t.symbol, t.seq))), timeoutMs);
      } catch (err) {
        this.options.logger.error({ partition, err: (err as Error).message }, 're-check of implicitly acknowledged ticks failed; they stay unconfirmed');
        continue;
      }
      const absent: string[] = [];
      for (const t of list) {
        this.unconfirmed -= 1;
        if (found.has(tickId(t.symbol, t.seq))) {
          t.ack.confirmed += 1;
        } else {
          t.ack.absent += 1;
          this.failed += 1;
          this.failureReasons.set(ABSENT_REASON, (this.failureReasons.get(ABSENT_REASON) ?? 0) + 1);
          absent.push(`${t.symbol}#${t.seq}`);
        }
      }
      this.options.logger[absent.length > 0 ? 'error' : 'info'](
        { topic, partition, from, confirmed: list.length - absent.length, absent: absent.slice(0, LOGGED_FAILURES) },
        absent.length > 0
          ? `${absent.length} implicitly acknowledged tick(s) are not in their partition: counted failed`
          : `${list.length} implicitly acknowledged tick(s) found in their partition: counted delivered`,
      );
    }
  }

  /** librdkafka log lines (debug contexts): only the implicit acknowledgements matter here. */
  onLog(facility: string, message: string): void {
    const parsed = parseImplicitAck(facility, message);
    if (!parsed) return;
    const ack: ImplicitAckOutcome = { ...parsed, confirmed: 0, absent: 0 };
    this.implicitAcks.push(ack);
    if (ack.topic === this.options.topics.dlq) {
      this.dlqFailed += ack.count;
      this.failureReasons.set(IMPLICIT_ACK_REASON, (this.failureReasons.get(IMPLICIT_ACK_REASON) ?? 0) + ack.count);
    } else {
      this.unconfirmed += ack.count;
    }
    this.options.logger.error(
      { topic: ack.topic, partition: ack.partition, messages: ack.count, msgids: `${ack.firstMsgid}..${ack.lastMsgid}` },
      `${ack.count} message(s) acknowledged without an offset (librdkafka implicit ack); ` +
        (ack.topic === this.options.topics.dlq ? 'dead letters counted failed' : 'counted unconfirmed until re-checked'),
    );
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
