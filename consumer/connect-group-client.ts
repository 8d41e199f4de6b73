/**
 * The sink's consumer on the client `kafka.client` asks for: the batch addon when it is
 * built (group-client-native.ts), else node-rdkafka (group-client-rdkafka.ts), the fallback
 * logged once with the reason.
 */
import { chooseKafkaClient } from '../lib/kafka-batch.js';
import type { GroupClient, GroupClientOptions } from './group-client.js';
import { NativeGroupClient } from './group-client-native.js';
import { RdkafkaGroupClient } from './group-client-rdkafka.js';

export async function connectGroupClient(options: GroupClientOptions): Promise<GroupClient> {
  const choice = chooseKafkaClient(options.kafka.client, (fields, message) => options.log.warn(fields, message));
  if (choice.kind === 'native') return NativeGroupClient.connect(choice.addon, options);
  return RdkafkaGroupClient.connect(options);
}
