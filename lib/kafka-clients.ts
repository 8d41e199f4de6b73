/**
 * The Kafka clients a service can run its hot path on (`kafka.client`): node-rdkafka, or
 * the project's batch-native addon (lib/kafka-batch.ts, native/). Apart from
 * lib/kafka-batch.ts so the settings can name them without loading the addon.
 */
export const KAFKA_CLIENTS = ['rdkafka', 'native'] as const;
export type KafkaClientKind = (typeof KAFKA_CLIENTS)[number];
