/**
 * Helpers for the native addon's integration tests: a fresh topic on the shared cluster,
 * the addon (or a failure saying how to build it), and a group member that consumes with
 * the addon and answers rebalances the way the sink does (assign/unassign from JS).
 */
import { randomUUID } from 'node:crypto';
import { ensureTopics } from '../../../lib/admin.js';
import { consumerSettings, consumerTopicSettings, producerSettings } from '../../../lib/kafka.js';
import { keyAt, loadNativeKafka, nativeConfig, valueAt, type BatchConsumer, type NativeKafka, type NativeTopicPartition, type RebalanceEvent } from '../../../lib/kafka-batch.js';
import type { KafkaConfig } from '../../../lib/settings.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';

export function requireAddon(): NativeKafka {
  const l = loadNativeKafka();
  if (!l.ok) throw new Error(`${l.reason}\nThese tests need the native addon: run \`npm run build:native\` (needs g++ and node-rdkafka's librdkafka).`);
  return l.addon;
}

export async function freshTopic(partitions = 3): Promise<{ kafka: KafkaConfig; topic: string }> {
  const kafka = sharedKafka();
  const brokers = await requireKafka(kafka);
  const topic = `native-${randomUUID().slice(0, 8)}`;
  await ensureTopics(kafka, [{ name: topic, partitions, replicationFactor: Math.min(3, brokers), config: {} }]);
  return { kafka, topic };
}

export function nativeProducerConfig(kafka: KafkaConfig): Record<string, string> {
  return nativeConfig({ ...producerSettings(kafka, { lingerMs: 5 }, 'native-test-producer'), partitioner: 'murmur2_random' } as Record<string, unknown>);
}

export function nativeConsumerConfig(kafka: KafkaConfig, group: string, extra: Record<string, string> = {}): Record<string, string> {
  return nativeConfig({
    ...consumerSettings(kafka, group, 'native-test-consumer'),
    ...consumerTopicSettings(),
    'partition.assignment.strategy': 'range,roundrobin',
    'session.timeout.ms': 10_000,
    'heartbeat.interval.ms': 1000,
    ...extra,
  } as Record<string, unknown>);
}

export interface Received {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** A consumer in a group, consuming with the addon in a loop until stopped. */
export class Member {
  readonly consumer: BatchConsumer;
  readonly received: Received[] = [];
  readonly events: RebalanceEvent[] = [];
  readonly owned = new Set<number>();
  batches = 0;
  maxBatch = 0;
  private stopping = false;
  private loop: Promise<void> | null = null;

  constructor(
    addon: NativeKafka,
    kafka: KafkaConfig,
    readonly topic: string,
    group: string,
    private readonly batchSize = 1000,
  ) {
    this.consumer = new addon.BatchConsumer(nativeConsumerConfig(kafka, group));
    this.consumer.subscribe(topic);
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const b = await this.consumer.consumeBatch(this.batchSize, 100);
      if (b.count > 0) {
        this.batches += 1;
        this.maxBatch = Math.max(this.maxBatch, b.count);
      }
      for (let i = 0; i < b.count; i++) {
        this.received.push({ partition: b.partition[i]!, offset: b.offset[i]!, key: keyAt(b, i)?.toString() ?? null, value: valueAt(b, i)?.toString() ?? null });
      }
      for (const e of b.events) {
        this.events.push(e);
        if (e.kind === 'assign') {
          this.consumer.assign(e.partitions.map((p: NativeTopicPartition) => ({ partition: p.partition, offset: p.offset })));
          for (const p of e.partitions) this.owned.add(p.partition);
        } else if (e.kind === 'revoke') {
          this.consumer.unassign();
          this.owned.clear();
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.consumer.close();
  }
}

/** Waits for a condition, polling, at most `ms` (then fails saying what it waited for). */
export async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
