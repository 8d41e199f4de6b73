/**
 * The Node client alone: a node-rdkafka consume loop that reads a topic to its end and does
 * nothing with the messages. Same client settings and poll size as the sink, its own
 * process (so its CPU is its own). What the sink could reach if its work cost nothing.
 *
 *   node --import tsx bench/sink/bare-consumer.ts <topic> <partitions> <messages>
 *
 * Prints one JSON line: seconds and CPU seconds from the first poll to the last message.
 */
import Kafka from 'node-rdkafka';
import { consumerSettings } from '../../lib/kafka.js';
import { sharedKafka } from '../../test/support/kafka.js';

const [topic, partitions, messages] = process.argv.slice(2);
if (!topic || !partitions || !messages) throw new Error('usage: bare-consumer.ts <topic> <partitions> <messages>');
const total = Number(messages);
const kafka = sharedKafka();
const consumer = new Kafka.KafkaConsumer(
  {
    ...consumerSettings(kafka, `bench-bare-${Date.now()}`, 'bench-bare'),
    // The sink's own additions (consumer/sink.ts).
    'fetch.max.bytes': 52_428_800,
    'max.partition.fetch.bytes': 4_194_304,
    'queued.max.messages.kbytes': 65_536,
  },
  { 'auto.offset.reset': 'earliest' },
);
await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
consumer.setDefaultConsumeTimeout(100);
consumer.assign(Array.from({ length: Number(partitions) }, (_, partition) => ({ topic, partition, offset: -2 })));
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let seen = 0;
while (seen < total) {
  seen += await new Promise<number>((resolve, reject) => consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m.length))));
}
const cpu = process.cpuUsage(cpu0);
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
