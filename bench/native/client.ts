/**
 * One bare client run for bench/native/run.ts, in its own process so its CPU and memory are
 * its own: produce the messages of a `key<TAB>value` file, or consume N messages of a topic,
 * with node-rdkafka or the batch-native addon, and nothing else.
 *
 *   node --import tsx bench/native/client.ts produce rdkafka|native <topic> <file>
 *   node --import tsx bench/native/client.ts consume rdkafka|native <topic> <partitions> <count>
 *
 * Prints one JSON line: seconds and CPU seconds from the first message to the last
 * acknowledgement (produce) or the last message (consume); loading the file is not counted.
 */
import Kafka from 'node-rdkafka';
import { readFileSync } from 'node:fs';
import { BatchBuilder, loadNativeKafka, nativeConfig } from '../../lib/kafka-batch.js';
import { consumerSettings, producerSettings } from '../../lib/kafka.js';
import { sharedKafka } from '../../test/support/kafka.js';

const [op, client, topic, ...rest] = process.argv.slice(2);
const kafka = sharedKafka();
const PRODUCER = { ...producerSettings(kafka, {}, 'bench-native'), partitioner: 'murmur2_random', 'delivery.report.only.error': true };
const CONSUMER = {
  ...consumerSettings(kafka, `bench-native-${Date.now()}`, 'bench-native'),
  'fetch.max.bytes': 52_428_800,
  'max.partition.fetch.bytes': 4_194_304,
  'queued.max.messages.kbytes': 65_536,
};

function report(t0: number, cpu0: NodeJS.CpuUsage, extra: Record<string, unknown> = {}): void {
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...extra })}\n`);
}

function readMessages(file: string): Array<[Buffer, Buffer]> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const tab = l.indexOf('\t');
      return [Buffer.from(l.slice(0, tab)), Buffer.from(l.slice(tab + 1))];
    });
}

async function produceRdkafka(messages: Array<[Buffer, Buffer]>): Promise<void> {
  const producer = new Kafka.Producer(PRODUCER as Kafka.ProducerGlobalConfig);
  let failed = 0;
  producer.on('delivery-report', (err) => err && failed++);
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(20);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const [key, value] of messages) {
    for (;;) {
      try {
        producer.produce(topic!, null, value, key);
        break;
      } catch (err) {
        if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  }
  await new Promise<void>((resolve, reject) => producer.flush(120_000, (err) => (err ? reject(err) : resolve())));
  report(t0, cpu0, { failed });
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
}

async function produceNative(messages: Array<[Buffer, Buffer]>): Promise<void> {
  const l = loadNativeKafka();
  if (!l.ok) throw new Error(l.reason);
  // Every report reaches C (and none reaches JS one by one): the batch needs them all.
  const producer = new l.addon.BatchProducer(nativeConfig({ ...PRODUCER, 'delivery.report.only.error': false }));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const builder = new BatchBuilder(4096);
  const inFlight = new Set<Promise<void>>();
  let failed = 0;
  const send = (): void => {
    const b = builder.take();
    const p = producer.produceBatch(topic!, b.data, b.keyStart, b.keyLen, b.valueStart, b.valueLen).then((r) => {
      failed += r.failed.length;
      inFlight.delete(p);
    });
    inFlight.add(p);
  };
  for (const [key, value] of messages) {
    builder.add(key, value);
    if (builder.full) {
      send();
      // Bounded memory, as the producer keeps it: at most ~100k messages unsettled.
      while (inFlight.size >= 24) await Promise.race(inFlight);
    }
  }
  if (builder.count > 0) send();
  await Promise.all(inFlight);
  if (!(await producer.flush(120_000))) throw new Error('flush timed out');
  report(t0, cpu0, { failed });
  await producer.close();
}

/** Polls until `count` messages were seen, timed and reported from here; `poll` reads one batch and touches each value. */
async function consumeMeasured(count: number, poll: () => Promise<{ messages: number; bytes: number }>): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let seen = 0;
  let bytes = 0;
  while (seen < count) {
    const batch = await poll();
    seen += batch.messages;
    bytes += batch.bytes;
  }
  report(t0, cpu0, { bytes });
}

async function consumeRdkafka(partitions: number, count: number): Promise<void> {
  const consumer = new Kafka.KafkaConsumer(CONSUMER as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  consumer.setDefaultConsumeTimeout(100);
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic: topic!, partition, offset: -2 })));
  await consumeMeasured(count, async () => {
    const msgs = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m))));
    let bytes = 0;
    for (const m of msgs) bytes += m.value?.length ?? 0; // touch each value, as any reader must
    return { messages: msgs.length, bytes };
  });
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
}

async function consumeNative(partitions: number, count: number): Promise<void> {
  const l = loadNativeKafka();
  if (!l.ok) throw new Error(l.reason);
  const consumer = new l.addon.BatchConsumer(nativeConfig({ ...CONSUMER, 'auto.offset.reset': 'earliest' }));
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic: topic!, partition, offset: -2 })));
  await consumeMeasured(count, async () => {
    const b = await consumer.consumeBatch(10_000, 100);
    let bytes = 0;
    for (let i = 0; i < b.count; i++) bytes += Math.max(0, b.valueLen[i]!);
    return { messages: b.count, bytes };
  });
  consumer.unassign();
  await consumer.close();
}

if (op === 'produce' && rest.length === 1) {
  const messages = readMessages(rest[0]!);
  await (client === 'native' ? produceNative(messages) : produceRdkafka(messages));
} else if (op === 'consume' && rest.length === 2) {
  await (client === 'native' ? consumeNative(Number(rest[0]), Number(rest[1])) : consumeRdkafka(Number(rest[0]), Number(rest[1])));
} else {
  throw new Error('usage: client.ts produce rdkafka|native <topic> <file> | consume rdkafka|native <topic> <partitions> <count>');
}
