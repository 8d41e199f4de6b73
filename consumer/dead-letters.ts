/**
 * Poison messages (invalid JSON, schema violations) go to `ticks.dlq` in the shared
 * dead-letter format (`lib/dlq.ts`) with their partition and offset, instead of stopping the
 * sink. They belong to their batch: the batch's offsets are committed only after its dead
 * letters are acknowledged by the brokers (acks=all, idempotent producer), so a crash
 * loses none. A crash between the acknowledgement and the commit sends them again: the DLQ
 * is at-least-once, and a reader dedupes by the origin (topic, partition, offset).
 *
 * An acknowledgement counts only with an offset: a report without one (librdkafka's
 * implicit ack, lib/delivery.ts) fails the send like an error, so the batch is not committed
 * and the write protocol sends its dead letters again, which at-least-once allows. The
 * topic is used only once every broker serves its leaders (lib/admin.ts waitForLeaders),
 * checked before the first send on a plaintext listener (the check speaks the wire protocol
 * without TLS or SASL; elsewhere the offset check above is what guards the dead letters).
 */
import Kafka from 'node-rdkafka';
import { waitForLeaders } from '../lib/admin.js';
import { classifyReport } from '../lib/delivery.js';
import { deadLetter, encodeDeadLetter } from '../lib/dlq.js';
import { producerSettings } from '../lib/kafka.js';
import { connectClient, disconnectClient, flushOnce, produceWhenQueueFree } from '../lib/rdkafka.js';
import type { KafkaConfig } from '../lib/settings.js';
import type { ClosedBatch } from './partition-writer.js';

export interface DeadLetterSink {
  send(batch: ClosedBatch): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  remaining: number;
  errors: string[];
  unconfirmed: number;
  resolve(): void;
  reject(err: Error): void;
}

export class KafkaDeadLetterSink implements DeadLetterSink {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Resolved once the topic's leaders are served by every broker; reset when that check failed. */
  private ready: Promise<void> | null = null;
  /** Dead letters whose acknowledgement carried no offset (sent again with their batch). */
  unconfirmed = 0;

  private constructor(
    private readonly producer: Kafka.Producer,
    private readonly topic: string,
    /** The cluster whose brokers must all serve the topic's leaders (its listener's TLS and SASL login). */
    private readonly kafka: KafkaConfig,
  ) {
    producer.on('delivery-report', (err, report) => {
      const p = this.pending.get(report.opaque as number);
      if (!p) return;
      const outcome = classifyReport(err, report.offset);
      if (outcome === 'failed') p.errors.push(err!.message);
      else if (outcome === 'unconfirmed') p.unconfirmed += 1;
      if (--p.remaining === 0) {
        this.pending.delete(report.opaque as number);
        this.unconfirmed += p.unconfirmed;
        if (p.errors.length > 0) p.reject(new Error(`dead letters not delivered to ${topic}: ${p.errors[0]}`));
        else if (p.unconfirmed > 0) {
          p.reject(new Error(`${p.unconfirmed} dead letter(s) to ${topic} acknowledged without an offset (implicit ack): unconfirmed, to be sent again`));
        } else p.resolve();
      }
    });
  }

  static async connect(kafka: KafkaConfig, topic: string): Promise<KafkaDeadLetterSink> {
    const producer = new Kafka.Producer({ ...producerSettings(kafka, { lingerMs: 5 }, 'sink-dlq') });
    await connectClient(producer, 30_000, `cannot connect to Kafka at ${kafka.bootstrap}`);
    producer.setPollInterval(50);
    return new KafkaDeadLetterSink(producer, topic, kafka);
  }

  async send(batch: ClosedBatch): Promise<void> {
    if (batch.deadLetters.length === 0) return;
    this.ready ??= waitForLeaders(this.kafka, [this.topic], 30_000, { fullIsr: false }).catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    await this.ready;
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { remaining: batch.deadLetters.length, errors: [], unconfirmed: 0, resolve, reject });
    });
    for (const d of batch.deadLetters) {
      const letter = deadLetter('sink', d.reason, { kind: 'kafka', topic: batch.topic, partition: batch.partition, offset: d.offset }, d.value);
      const msg = encodeDeadLetter(letter, d.key?.toString('utf8') ?? null);
      try {
        await produceWhenQueueFree(() => this.producer.produce(this.topic, null, msg.value, msg.key, Date.now(), id, msg.headers), 20);
      } catch (err) {
        this.pending.delete(id);
        throw err;
      }
    }
    await done;
  }

  async close(): Promise<void> {
    await flushOnce(this.producer, 10_000);
    await disconnectClient(this.producer);
  }
}
