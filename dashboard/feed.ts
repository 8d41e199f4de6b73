/**
 * The dashboard's view of `ticks`: a Kafka consumer in a group of its own that reads every
 * partition and hands each valid tick to a callback. It commits nothing and starts at the
 * end of the topic by default (a live view), or at the beginning with `fromBeginning`.
 * It never writes anywhere, so it cannot disturb the pipeline it watches.
 */
import Kafka from 'node-rdkafka';
import { randomUUID } from 'node:crypto';
import { consumerSettings } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig } from '../lib/settings.js';
import { decodeTick, type Tick } from '../lib/tick.js';

export interface TickFeedOptions {
  readonly kafka: KafkaConfig;
  readonly topic: string;
  readonly fromBeginning?: boolean;
  readonly log: Logger;
  readonly onTicks: (ticks: Tick[]) => void;
}

export class TickFeed {
  private consumer: Kafka.KafkaConsumer | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  /** Messages that were not valid ticks (should be none: the producer validates). */
  invalid = 0;
  received = 0;

  constructor(private readonly options: TickFeedOptions) {}

  async start(): Promise<void> {
    const { kafka, topic, fromBeginning, log } = this.options;
    const consumer = new Kafka.KafkaConsumer(
      { ...consumerSettings(kafka, `tickstream-dashboard-${randomUUID()}`, 'dashboard'), 'enable.auto.commit': false },
      { 'auto.offset.reset': fromBeginning ? 'earliest' : 'latest' },
    );
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
    consumer.subscribe([topic]);
    consumer.on('event.error', (err) => log.warn({ err: err.message }, 'dashboard consumer error'));
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

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
