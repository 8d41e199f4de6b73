/**
 * librdkafka settings shared by the producer and the sink, and the topic layout of the
 * design. Pure functions: they build plain objects from config and never connect, so they
 * can be tested without a broker and read by anyone wondering what the services send.
 */
import type { ConsumerGlobalConfig, ConsumerTopicConfig, ProducerGlobalConfig } from 'node-rdkafka';
import type { KafkaConfig, TopicConfig } from './settings.js';

/** How a Kafka cluster keeps its metadata: ZooKeeper (Kafka 3.x) or KRaft (Kafka 4). The local stack and the AWS cluster both choose one. */
export const METADATA_MODES = ['zookeeper', 'kraft'] as const;
export type MetadataMode = (typeof METADATA_MODES)[number];

export interface TopicNames {
  /** Accepted ticks. */
  readonly ticks: string;
  /** Rejected rows and messages. */
  readonly dlq: string;
}

export function topicNames(topics: Pick<TopicConfig, 'prefix'>): TopicNames {
  return { ticks: `${topics.prefix}ticks`, dlq: `${topics.prefix}ticks.dlq` };
}

/** Connection and security settings every client needs. */
export function clientSettings(kafka: KafkaConfig, role: string): Record<string, string | number | boolean> {
  const settings: Record<string, string | number | boolean> = {
    'bootstrap.servers': kafka.bootstrap,
    'client.id': `${kafka.clientId}-${role}`,
    'security.protocol': kafka.securityProtocol,
    // Loopback and private-subnet brokers resolve fast; fail over quickly when one dies.
    'socket.keepalive.enable': true,
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 5000,
  };
  if (kafka.securityProtocol.startsWith('sasl')) {
    if (!kafka.saslUsername || !kafka.saslPassword) {
      throw new Error(
        `kafka.securityProtocol is ${kafka.securityProtocol} but TICKSTREAM_KAFKA_SASL_USERNAME or TICKSTREAM_KAFKA_SASL_PASSWORD is not set`,
      );
    }
    settings['sasl.mechanisms'] = kafka.saslMechanism;
    settings['sasl.username'] = kafka.saslUsername;
    settings['sasl.password'] = kafka.saslPassword;
  }
  if (kafka.caLocation) settings['ssl.ca.location'] = kafka.caLocation;
  if (kafka.debug) settings.debug = kafka.debug;
  return settings;
}

export interface ProducerTuning {
  /** How long librdkafka waits to fill a batch; more throughput, more latency. */
  readonly lingerMs?: number;
  /** Upper bound of messages in librdkafka's local queue; QUEUE_FULL past it. */
  readonly queueMaxMessages?: number;
  readonly compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** librdkafka statistics callback interval; 0 disables. */
  readonly statisticsIntervalMs?: number;
}

/**
 * Producer settings for "nothing acknowledged is lost, nothing duplicated by retries":
 * idempotence (acks=all, retries, ordering kept), ONE produce request in flight per broker
 * connection, plus batching and compression for throughput.
 *
 * Why one in flight: with several, a later request of a partition can be answered while an
 * earlier one awaits its retry, and librdkafka then (a) acknowledges the earlier message
 * without an offset although no broker wrote it (the fresh-topic race,
 * docs/fresh-topic-race.md), or (b) after a leader died having written a batch it never
 * answered, bumps the producer epoch and renumbers that batch, which the new leader writes a
 * second time (found by `npm run chaos`, bench/chaos/RESULTS.md). With one, the retried
 * batch meets the new leader's sequence state and is answered as a duplicate. Measured
 * cost on this project's producer: none (it is bound by its JavaScript thread, and one
 * request carries every partition a broker leads; docs/producer.md "Durability").
 */
export function producerSettings(kafka: KafkaConfig, tuning: ProducerTuning = {}, role = 'producer'): ProducerGlobalConfig {
  return {
    ...clientSettings(kafka, role),
    'enable.idempotence': true,
    acks: 'all',
    'max.in.flight.requests.per.connection': 1,
    'message.send.max.retries': 2_147_483_647,
    // Delivery timeout: a message that cannot be written in this time is reported failed
    // to the delivery callback, never dropped silently.
    'message.timeout.ms': 120_000,
    'compression.type': tuning.compression ?? 'lz4',
    'linger.ms': tuning.lingerMs ?? 20,
    'batch.num.messages': 10_000,
    'batch.size': 1_000_000,
    'queue.buffering.max.messages': tuning.queueMaxMessages ?? 100_000,
    'queue.buffering.max.kbytes': 262_144,
    dr_cb: true,
    'statistics.interval.ms': tuning.statisticsIntervalMs ?? 0,
  } as ProducerGlobalConfig;
}

/**
 * Consumer settings for a sink that commits only what it has durably written: no
 * automatic commit and no automatic offset store; the caller commits explicit offsets.
 * `sessionTimeoutMs`: how long a member that stopped answering keeps its partitions (the
 * sink's is a setting, TICKSTREAM_SINK_SESSION_TIMEOUT_MS); its heartbeats then go at a third of it.
 */
export function consumerSettings(kafka: KafkaConfig, groupId: string, role = 'consumer', options: { sessionTimeoutMs?: number } = {}): ConsumerGlobalConfig {
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
  // A session of the caller's scales its heartbeat with it; the other consumers (dashboard,
  // probes, benches) keep librdkafka's 3 s heartbeat, so they notice a rebalance as soon as before.
  const heartbeat = options.sessionTimeoutMs === undefined ? {} : { 'heartbeat.interval.ms': Math.floor(sessionTimeoutMs / 3) };
  return {
    ...clientSettings(kafka, role),
    'group.id': groupId,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'enable.partition.eof': false,
    // Only see messages of committed producer transactions (and all non-transactional ones).
    'isolation.level': 'read_committed',
    'session.timeout.ms': sessionTimeoutMs,
    ...heartbeat,
    'max.poll.interval.ms': 300_000,
    'fetch.min.bytes': 1,
    'fetch.wait.max.ms': 100,
  } as ConsumerGlobalConfig;
}

export function consumerTopicSettings(): ConsumerTopicConfig {
  // A new group starts at the beginning: nothing produced before the sink first ran is lost.
  return { 'auto.offset.reset': 'earliest' };
}

export interface TopicPlan {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

/**
 * The topics of the design as they should exist on a cluster of `brokerCount` brokers.
 * The replication factor is capped by the broker count (a 1-broker laptop stack cannot hold
 * 3 replicas) and min.insync.replicas by the replication factor (or every write would fail).
 */
export function planTopics(topics: TopicConfig, brokerCount: number): TopicPlan[] {
  if (!Number.isInteger(brokerCount) || brokerCount < 1) throw new Error(`broker count must be >= 1, got ${brokerCount}`);
  const names = topicNames(topics);
  const replicationFactor = Math.min(topics.replicationFactor, brokerCount);
  const minInsync = Math.min(topics.minInsyncReplicas, replicationFactor);
  const retentionMs = String(topics.retentionHours * 3_600_000);
  const common = {
    'min.insync.replicas': String(minInsync),
    'retention.ms': retentionMs,
    'unclean.leader.election.enable': 'false',
  };
  return [
    { name: names.ticks, partitions: topics.partitions, replicationFactor, config: { ...common, 'compression.type': 'producer' } },
    // Dead letters are rare and read by people: fewer partitions, kept longer.
    {
      name: names.dlq,
      partitions: Math.min(topics.partitions, 3),
      replicationFactor,
      config: { ...common, 'retention.ms': String(Math.max(topics.retentionHours, 24 * 30) * 3_600_000) },
    },
  ];
}
