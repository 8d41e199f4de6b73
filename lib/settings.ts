/**
 * The settings both services share: how to reach Kafka, what the topics are called and how
 * they are laid out, and how to log. Service-specific sections live beside each service
 * (`producer/settings.ts`, `consumer/settings.ts`, `local/settings.ts`).
 */
import {
  boolSetting,
  enumSetting,
  hostPortListSetting,
  intSetting,
  stringSetting,
  type ConfigOf,
} from './config.js';
import { KAFKA_CLIENTS } from './kafka-clients.js';
import { DEFAULT_PARTITIONING, PARTITIONINGS } from './lake.js';

export const kafkaSettings = {
  bootstrap: hostPortListSetting({
    env: 'TICKSTREAM_KAFKA_BOOTSTRAP',
    default: '127.0.0.1:9092',
    doc: 'Kafka bootstrap servers, host:port[,host:port...]',
  }),
  clientId: stringSetting({ env: 'TICKSTREAM_KAFKA_CLIENT_ID', default: 'tickstream', doc: 'Kafka client.id prefix' }),
  securityProtocol: enumSetting({
    env: 'TICKSTREAM_KAFKA_SECURITY_PROTOCOL',
    values: ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const,
    default: 'plaintext',
    doc: 'security.protocol of the Kafka listener',
  }),
  saslMechanism: enumSetting({
    env: 'TICKSTREAM_KAFKA_SASL_MECHANISM',
    values: ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const,
    default: 'SCRAM-SHA-512',
    doc: 'SASL mechanism when the protocol uses SASL',
  }),
  saslUsername: stringSetting({ env: 'TICKSTREAM_KAFKA_SASL_USERNAME', default: undefined, doc: 'SASL user name' }),
  saslPassword: stringSetting({
    env: 'TICKSTREAM_KAFKA_SASL_PASSWORD',
    default: undefined,
    secret: true,
    doc: 'SASL password; or TICKSTREAM_KAFKA_SASL_PASSWORD_FILE: a file holding it (a relative name: a systemd credential in $CREDENTIALS_DIRECTORY)',
  }),
  caLocation: stringSetting({ env: 'TICKSTREAM_KAFKA_CA', default: undefined, doc: 'PEM file of the CA that signed the brokers (TLS)' }),
  debug: stringSetting({ env: 'TICKSTREAM_KAFKA_DEBUG', default: undefined, doc: 'librdkafka debug contexts, e.g. broker,topic,msg' }),
  client: enumSetting({
    env: 'TICKSTREAM_KAFKA_CLIENT',
    values: KAFKA_CLIENTS,
    default: 'rdkafka',
    doc: "client of the producer's ticks and the sink's consumer: rdkafka (node-rdkafka, one JS call or object per message) or native (the project's batch addon, native/: one call per batch; falls back to rdkafka, saying why, when it is not built). Dead letters, admin and metadata always use node-rdkafka",
  }),
} as const;

export const topicSettings = {
  prefix: stringSetting({
    env: 'TICKSTREAM_TOPIC_PREFIX',
    default: '',
    pattern: /^[A-Za-z0-9._-]*$/,
    patternDoc: 'letters, digits, ".", "_" or "-"',
    allowEmpty: true,
    doc: 'prefix for every topic name (e.g. "dev." gives dev.ticks)',
  }),
  partitions: intSetting({ env: 'TICKSTREAM_TOPIC_PARTITIONS', default: 6, min: 1, max: 10_000, doc: 'partitions of the ticks topic' }),
  replicationFactor: intSetting({
    env: 'TICKSTREAM_TOPIC_REPLICATION',
    default: 3,
    min: 1,
    max: 16,
    doc: 'replication factor of the topics (capped by the broker count when created)',
  }),
  minInsyncReplicas: intSetting({
    env: 'TICKSTREAM_TOPIC_MIN_INSYNC',
    default: 2,
    min: 1,
    max: 16,
    doc: 'min.insync.replicas of the topics (capped by the replication factor)',
  }),
  retentionHours: intSetting({ env: 'TICKSTREAM_TOPIC_RETENTION_HOURS', default: 168, min: 1, doc: 'retention.ms of the topics, in hours' }),
} as const;

export const logSettings = {
  level: enumSetting({
    env: 'TICKSTREAM_LOG_LEVEL',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
    default: 'info',
    doc: 'log level',
  }),
  pretty: boolSetting({ env: 'TICKSTREAM_LOG_PRETTY', default: false, doc: 'one short human line per log record instead of JSON' }),
} as const;

/**
 * The lake's time partitioning (`lib/lake.ts`): one setting, read by everything that knows
 * the layout (the sink's paths, the local catalog and the query filters; the infra and the
 * Ansible role pass the same value). `day` suits intraday ticks, `year` (or `month`) decades
 * of daily bars (docs/sink.md, "Time partitioning").
 */
export const partitioningSetting = enumSetting({
  env: 'TICKSTREAM_LAKE_PARTITIONING',
  values: PARTITIONINGS,
  default: DEFAULT_PARTITIONING,
  doc: 'time partitioning of the lake: day (dt=YYYY-MM-DD), month (dt=YYYY-MM) or year (dt=YYYY)',
});

export const sharedSpec = { kafka: kafkaSettings, topics: topicSettings, log: logSettings } as const;

export type KafkaConfig = ConfigOf<{ kafka: typeof kafkaSettings }>['kafka'];
export type TopicConfig = ConfigOf<{ topics: typeof topicSettings }>['topics'];
export type LogConfig = ConfigOf<{ log: typeof logSettings }>['log'];
