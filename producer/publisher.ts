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
 * Backpressure. librdkafka's queue is bounded (`queue.buffering.max.messages` and
 * `.kbytes`); when it is full produce() throws QUEUE_FULL and the caller awaits
 * `waitForSpace()` and retries the same message. Nothing is dropped, nothing buffers
 * without bound, and reading the input pauses meanwhile.
 */
import Kafka from 'node-rdkafka';
import type { DeadLetterMessage } from '../lib/dlq.js';
import { producerSettings, type TopicNames } from '../lib/kafka.js';
import { watchReachability, type KafkaReachability } from '../lib/kafka-reachability.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig } from '../lib/settings.js';
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
  readonly dlqProduced: number;
  readonly dlqFailed: number;
  /** Times produce() found the queue full and waited. */
  readonly queueFullWaits: number;
}

const QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;
const FATAL = Kafka.CODES.ERRORS.ERR__FATAL;
const LOGGED_FAILURES = 20;
/** A flush waits in slices this long (see `flush`). */
const FLUSH_SLICE_MS = 500;

export class Publisher {
  produced = 0;
  failed = 0;
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
    } as Kafka.ProducerGlobalConfig;
    const producer = new Kafka.Producer(config);
    const publisher = new Publisher(producer, options);
    producer.on('delivery-report', (err, report) => publisher.onFailure(err, report));
    producer.on('event.stats', (e: { message: string }) => publisher.onStats(e.message));
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

  private onStats(json: string): void {
    try {
      this.stats = JSON.parse(json) as RdkafkaStats;
    } catch {
      return;
    }
    for (const l of this.statsListeners) l(this.stats);
  }
}
