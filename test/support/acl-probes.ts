/**
 * What a secured cluster must refuse, tried with real clients: a login with a wrong
 * password, and operations no ACL allows. Shared by the local cluster tests and the host
 * suite; each probe returns what librdkafka reported instead of throwing, so the test can
 * assert the exact refusal.
 */
import Kafka from 'node-rdkafka';
import { consumerSettings, consumerTopicSettings, producerSettings } from '../../lib/kafka.js';
import type { KafkaConfig } from '../../lib/settings.js';

/**
 * Connects a producer with a wrong password: the connect error (null if it connected, which
 * is the failure the caller checks for) and librdkafka's log, which names the refused SASL
 * handshake.
 */
export async function wrongPasswordRefusal(kafka: KafkaConfig): Promise<{ connectError: string | null; logs: string }> {
  // event_cb: librdkafka logs the refused SASL handshake; connecting then fails.
  const wrong = new Kafka.Producer({ ...producerSettings({ ...kafka, saslPassword: 'not-the-password' }, {}, 'wrong'), event_cb: true });
  const logs: string[] = [];
  wrong.on('event.log', (e: { message: string }) => logs.push(e.message));
  const connectError = await new Promise<string | null>((resolve) => wrong.connect({ timeout: 10_000 }, (err) => resolve(err ? err.message : null)));
  if (wrong.isConnected()) await new Promise<void>((resolve) => wrong.disconnect(() => resolve()));
  return { connectError, logs: logs.join('\n') };
}

/**
 * Produces one message with a delivery timeout of 20 s; the error librdkafka reports (a
 * refused login or a missing ACL), or null when the broker took it.
 */
export async function tryProduce(kafka: KafkaConfig, topic: string): Promise<string | null> {
  const producer = new Kafka.Producer({ ...producerSettings(kafka, { lingerMs: 0 }, 'acl-probe'), event_cb: true, 'message.timeout.ms': 20_000 } as Kafka.ProducerGlobalConfig);
  const errors: string[] = [];
  producer.on('event.error', (err) => void errors.push(err.message));
  try {
    await new Promise<void>((resolve, reject) => {
      producer.once('ready', () => resolve());
      producer.connect({ timeout: 20_000 }, (err) => err && reject(err));
    });
  } catch (err) {
    return `connect: ${(err as Error).message} ${errors.join('; ')}`;
  }
  producer.setPollInterval(20);
  const delivered = new Promise<string | null>((resolve) => producer.once('delivery-report', (err) => resolve(err ? err.message : null)));
  let outcome: string | null;
  try {
    producer.produce(topic, null, Buffer.from('acl-probe'), 'k');
    outcome = await delivered;
  } catch (err) {
    // librdkafka refuses at once when the metadata it already holds marks the topic as not
    // authorized (seen in KRaft mode when connect's metadata request answered first).
    outcome = (err as Error).message;
  }
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  return outcome === null ? null : [outcome, ...errors].join('; ');
}

/** Reads `topic` in `group` for up to 20 s: the errors the consumer gets, or "read N messages". */
export async function tryConsume(kafka: KafkaConfig, topic: string, group: string): Promise<string> {
  const consumer = new Kafka.KafkaConsumer({ ...consumerSettings(kafka, group, 'acl-probe'), event_cb: true }, consumerTopicSettings());
  const errors: string[] = [];
  consumer.on('event.error', (err) => void errors.push(err.message));
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 20_000 }, (err) => (err ? reject(err) : resolve())));
  consumer.subscribe([topic]);
  let read = 0;
  const deadline = Date.now() + 20_000;
  try {
    while (Date.now() < deadline && errors.length === 0) {
      read += await new Promise<number>((resolve) => consumer.consume(100, (err, msgs) => {
        if (err) errors.push(err.message);
        resolve(msgs?.length ?? 0);
      }));
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return errors.length > 0 ? errors.join('; ') : `read ${read} messages, no error`;
}
