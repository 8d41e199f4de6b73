/**
 * Test helpers for real Kafka: find the shared broker (or fail saying how to start it),
 * start a private stack for tests that need their own cluster, and produce or consume a
 * known set of messages with node-rdkafka.
 */
import Kafka from 'node-rdkafka';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterMetadata } from '../../lib/admin.js';
import { loadConfig } from '../../lib/config.js';
import { consumerSettings, consumerTopicSettings, producerSettings } from '../../lib/kafka.js';
import { sharedSpec, type KafkaConfig } from '../../lib/settings.js';
import type { MetadataMode } from '../../lib/kafka.js';
import { stackSpec, type StackConfig } from '../../local/settings.js';
import { bootstrapOf, stackDown, stackUp, type StackState } from '../../local/stack.js';

/** The shared broker the CI starts (`bash .ci/run`) or a developer starts by hand. */
export function sharedKafka(): KafkaConfig {
  return loadConfig(sharedSpec).kafka;
}

/**
 * Resolves with the shared cluster's broker count; rejects with instructions when no
 * broker answers, so an integration test fails (never passes silently) without Kafka.
 */
export async function requireKafka(kafka: KafkaConfig = sharedKafka()): Promise<number> {
  try {
    const md = await clusterMetadata(kafka.bootstrap);
    return md.brokers.length;
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nThis test needs a running Kafka broker. Start the local stack with ` +
        '`npx tickstream stack up --brokers 3 --topics` (or point TICKSTREAM_KAFKA_BOOTSTRAP at one), then run the tests again.',
    );
  }
}

export interface PrivateStack {
  readonly state: StackState;
  readonly kafka: KafkaConfig;
  readonly config: StackConfig;
  down(): Promise<void>;
}

/**
 * Starts a stack of its own in a temporary folder on the given port range, for tests that
 * stop brokers or need a particular mode. Ports default to a range the shared stack does
 * not use (19092.., 19192.., 12181).
 */
export async function startPrivateStack(options: {
  mode: MetadataMode;
  brokers: number;
  portBase?: number;
  /** Default: portBase - 6911. */
  zookeeperPort?: number;
  dir?: string;
}): Promise<PrivateStack> {
  const portBase = options.portBase ?? 19092;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `tickstream-stack-${options.mode}-`));
  const config = loadConfig(stackSpec, {
    overrides: {
      'stack.dir': dir,
      'stack.mode': options.mode,
      'stack.brokers': options.brokers,
      'stack.port': portBase,
      'stack.controllerPort': portBase + 100,
      'stack.zookeeperPort': options.zookeeperPort ?? portBase - 6911,
      'stack.heap': '384m',
    },
  }).stack;
  const { state } = await stackUp(config);
  const kafka = { ...sharedKafka(), bootstrap: bootstrapOf(state) };
  return {
    state,
    kafka,
    config,
    down: async () => {
      await stackDown(dir, { purge: true, graceMs: 15_000 });
    },
  };
}

export interface TestMessage {
  readonly key: string;
  readonly value: string;
}

/** Produces every message with the project's producer settings; resolves when all are acknowledged. */
export async function produceAll(kafka: KafkaConfig, topic: string, messages: readonly TestMessage[]): Promise<void> {
  const producer = new Kafka.Producer({ ...producerSettings(kafka, { lingerMs: 5 }, 'test-producer') });
  await new Promise<void>((resolve, reject) => {
    producer.once('ready', () => resolve());
    producer.once('event.error', reject);
    producer.connect({ timeout: 15_000 }, (err) => err && reject(err));
  });
  producer.setPollInterval(20);
  let acked = 0;
  const failures: string[] = [];
  const done = new Promise<void>((resolve) => {
    producer.on('delivery-report', (err) => {
      if (err) failures.push(err.message);
      acked += 1;
      if (acked === messages.length) resolve();
    });
  });
  for (const m of messages) {
    for (;;) {
      try {
        producer.produce(topic, null, Buffer.from(m.value), m.key);
        break;
      } catch (err) {
        // QUEUE_FULL: let deliveries drain, then retry the same message.
        if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
  if (messages.length > 0) await done;
  await new Promise<void>((resolve) => producer.flush(10_000, () => resolve()));
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  if (failures.length > 0) throw new Error(`${failures.length} deliveries failed: ${failures[0]}`);
}

export interface ConsumedMessage extends TestMessage {
  readonly partition: number;
  readonly offset: number;
  /** Kafka's timestamp of the message (CreateTime: when the producer handed it over), epoch ms. */
  readonly timestamp: number;
}

/**
 * Consumes until `count` messages arrived (or `idleMs` passes without one), committing
 * offsets explicitly after each batch the way the sink does.
 */
export async function consumeCount(
  kafka: KafkaConfig,
  topic: string,
  groupId: string,
  count: number,
  options: { idleMs?: number; commit?: boolean } = {},
): Promise<ConsumedMessage[]> {
  const consumer = new Kafka.KafkaConsumer({ ...consumerSettings(kafka, groupId, 'test-consumer') }, consumerTopicSettings());
  await new Promise<void>((resolve, reject) => {
    consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve()));
  });
  consumer.subscribe([topic]);
  const out: ConsumedMessage[] = [];
  let lastProgress = Date.now();
  const idleMs = options.idleMs ?? 15_000;
  try {
    while (out.length < count && Date.now() - lastProgress < idleMs) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(500, (err, msgs) => (err ? reject(err) : resolve(msgs))),
      );
      if (batch.length === 0) continue;
      lastProgress = Date.now();
      for (const m of batch) {
        out.push({ key: m.key?.toString() ?? '', value: m.value?.toString() ?? '', partition: m.partition, offset: m.offset, timestamp: m.timestamp ?? 0 });
      }
      if (options.commit !== false) {
        const next = new Map<number, number>();
        for (const m of batch) next.set(m.partition, Math.max(next.get(m.partition) ?? -1, m.offset + 1));
        consumer.commitSync([...next].map(([partition, offset]) => ({ topic, partition, offset })));
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return out;
}
