/**
 * The end-to-end latency probe of `npm run bench`: a consumer of the ticks topic that reads
 * the way the live dashboard does (dashboard/feed.ts: the same client settings, a group of
 * its own, nothing committed, `consume(1000)` in a loop) and, for every message, takes
 * `Date.now()` when the batch reaches JavaScript minus the message's Kafka timestamp.
 * The producer leaves that timestamp to librdkafka (producer/publisher.ts passes none), and
 * librdkafka stamps a message with the wall clock when `produce()` hands it over
 * (CreateTime), so the difference is produce() to arrival in the consumer, on one machine
 * and one clock, in whole milliseconds.
 *
 *   node --import tsx bench/all/e2e-consumer.ts <topic> <partitions> <messages>
 *
 * It starts at the current end of every partition (assigned explicitly, no group join to
 * wait for), prints `ready` on standard output, and reads until it has seen <messages>
 * messages or none came for 30 s; then prints one JSON line: count, p50, p90, p99, max (ms),
 * and seconds from the first batch to the last (the rate the feed actually had).
 */
import Kafka from 'node-rdkafka';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config.js';
import { consumerSettings } from '../../lib/kafka.js';
import { sharedSpec } from '../../lib/settings.js';

const IDLE_GIVE_UP_MS = 30_000;

const [topic, partitions, messages] = process.argv.slice(2);
if (!topic || !partitions || !messages) throw new Error('usage: e2e-consumer.ts <topic> <partitions> <messages>');
const expected = Number(messages);
const kafka = loadConfig(sharedSpec).kafka;
const consumer = new Kafka.KafkaConsumer(
  { ...consumerSettings(kafka, `bench-e2e-${randomUUID()}`, 'dashboard'), 'enable.auto.commit': false },
  { 'auto.offset.reset': 'latest' },
);
await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));

// Start at each partition's end as of now: every message the producer sends after `ready` is seen.
const assignment: Kafka.Assignment[] = [];
for (let partition = 0; partition < Number(partitions); partition++) {
  const high = await new Promise<number>((resolve, reject) =>
    consumer.queryWatermarkOffsets(topic, partition, 10_000, (err, w) => (err ? reject(err) : resolve(w.highOffset))),
  );
  assignment.push({ topic, partition, offset: high });
}
consumer.assign(assignment);
process.stdout.write('ready\n');

const latencies = new Float64Array(expected);
let seen = 0;
let last = Date.now();
let first = 0;
while (seen < expected && Date.now() - last < IDLE_GIVE_UP_MS) {
  const batch = await new Promise<Kafka.Message[]>((resolve) => consumer.consume(1000, (err, msgs) => resolve(err ? [] : msgs)));
  const now = Date.now();
  if (batch.length === 0) continue;
  last = now;
  if (first === 0) first = now;
  for (const m of batch) if (seen < expected) latencies[seen++] = now - (m.timestamp ?? now);
}
const sorted = latencies.subarray(0, seen).sort();
const at = (q: number): number => (seen === 0 ? NaN : sorted[Math.min(seen - 1, Math.floor(q * seen))]!);
process.stdout.write(`${JSON.stringify({ count: seen, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: seen ? sorted[seen - 1] : NaN, seconds: (last - first) / 1000 })}\n`);
await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
process.exit(0);
