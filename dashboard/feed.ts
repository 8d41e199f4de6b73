/**
 * The dashboard's view of `ticks`: a Kafka consumer in a group of its own that reads every
 * partition and hands each valid tick to a callback. It commits nothing and starts at the
 * end of the topic by default (a live view), or at the beginning with `fromBeginning`.
 * It never writes anywhere, so it cannot disturb the pipeline it watches.
 *
 * With every broker gone it keeps polling (asynchronously: the page and its health keep
 * being served), reports the outage once at its start and once at its end
 * (`kafkaUnreachableSince`), and stops within `closeTimeoutMs`: a close that cannot reach
 * the cluster is not waited for.
 */
import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient } from '../lib/rdkafka.js';
import { randomUUID } from 'node:crypto';
import { consumerSettings } from '../lib/kafka.js';
import { REACHABILITY_STATS_INTERVAL_MS, watchReachability, type KafkaReachability } from '../lib/kafka-reachability.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig } from '../lib/settings.js';
import { decodeTick, type Tick } from '../lib/tick.js';

export interface TickFeedOptions {
  readonly kafka: KafkaConfig;
  readonly topic: string;
  readonly fromBeginning?: boolean;
  readonly log: Logger;
  readonly onTicks: (ticks: Tick[]) => void;
  /** Longest `stop` waits for the consumer to close (default 5 s). */
  readonly closeTimeoutMs?: number;
}

export class TickFeed {
  private consumer: Kafka.KafkaConsumer | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  /** Messages that were not valid ticks (should be none: the producer validates). */
  invalid = 0;
  received = 0;
  private reach: KafkaReachability | null = null;

  constructor(private readonly options: TickFeedOptions) {}

  async start(): Promise<void> {
    const { kafka, topic, fromBeginning, log } = this.options;
    const consumer = new Kafka.KafkaConsumer(
      {
        ...consumerSettings(kafka, `tickstream-dashboard-${randomUUID()}`, 'dashboard'),
        'enable.auto.commit': false,
        'statistics.interval.ms': REACHABILITY_STATS_INTERVAL_MS,
      },
      { 'auto.offset.reset': fromBeginning ? 'earliest' : 'latest' },
    );
    await connectClient(consumer, 15_000);
    consumer.subscribe([topic]);
    const reach = watchReachability(consumer, log, 'dashboard');
    this.reach = reach;
    consumer.on('event.error', (err) => {
      if (reach.reachable) log.warn({ err: err.message }, 'dashboard consumer error');
      else log.debug({ err: err.message }, 'dashboard consumer error');
    });
    this.consumer = consumer;
    this.running = true;
    this.loop = this.run();
    log.info({ topic, fromBeginning: Boolean(fromBeginning) }, 'dashboard is reading ticks');
  }

  private async run(): Promise<void> {
    const consumer = this.consumer!;
    while (this.running) {
      const messages = await new Promise<Kafka.Message[]>((resolve) =>
        consumer.consume(1000, (err, msgs) => resolve(err ? [] : msgs)),
      );
      if (messages.length === 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const ticks: Tick[] = [];
      for (const m of messages) {
        const checked = decodeTick(m.value);
        if (checked.ok) ticks.push(checked.tick);
        else this.invalid += 1;
      }
      this.received += ticks.length;
      if (ticks.length > 0) this.options.onTicks(ticks);
    }
  }

  /** Epoch ms since which no broker answers the feed, or null while one does. */
  get kafkaUnreachableSince(): number | null {
    return this.reach?.unreachableSince ?? null;
  }

  /**
   * Stops reading and closes the consumer: at most one poll (1 s) plus `closeTimeoutMs`.
   * Resolves true when the consumer closed; during an outage it is left open (its close
   * would wait for a broker on libuv's thread pool) and the caller should exit the process.
   */
  async stop(): Promise<boolean> {
    this.running = false;
    await this.loop;
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) return true;
    if (this.reach?.reachable === false) return false;
    return disconnectClient(consumer, this.options.closeTimeoutMs ?? 5000);
  }
}
