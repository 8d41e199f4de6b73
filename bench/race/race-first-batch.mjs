#!/usr/bin/env node
// Reproduces an acknowledged-but-never-written message right after topic creation.
// Run from the project root (it loads the project's node-rdkafka) against a 3-broker stack:
//   node bench/race/race-first-batch.mjs 127.0.0.1:9092 [rounds]
// Each round creates a fresh topic (3 partitions, RF 3, min ISR 2) and at once produces six
// messages, 3 ms apart, with an idempotent acks=all producer; then reads the topic back with
// kcat. A message whose delivery report had no error but which is not in the topic is LOST;
// its report's offset is printed (-1001 = no offset: librdkafka acknowledged it implicitly).
// RACE_DEBUG=eos (or msg,eos) also prints librdkafka's debug lines of those contexts to stderr.
// The same race through the product's own Publisher, and the fix, are tested in
// test/integration/producer/fresh-topics.test.ts (docs/fresh-topic-race.md).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
const Kafka = createRequire(`${process.cwd()}/`)('node-rdkafka');
const bootstrap = process.argv[2] ?? '127.0.0.1:9092';
const rounds = Number(process.argv[3] ?? 60);
const admin = Kafka.AdminClient.create({ 'metadata.broker.list': bootstrap });
const producer = new Kafka.Producer({ 'metadata.broker.list': bootstrap, 'enable.idempotence': true, acks: 'all',
  'linger.ms': 0, 'max.in.flight.requests.per.connection': 5, dr_cb: true, 'batch.num.messages': 1,
  ...(process.env.RACE_DEBUG ? { debug: process.env.RACE_DEBUG } : {}) });
if (process.env.RACE_DEBUG) producer.on('event.log', (e) => process.stderr.write(`${Date.now()} ${e.fac} ${e.message}\n`));
await new Promise((resolve, reject) => producer.connect({}, (e) => (e ? reject(e) : resolve())));
producer.setPollInterval(5);
const reports = new Map();
producer.on('delivery-report', (err, rep) => reports.set(rep.opaque, { err: err?.message, offset: rep.offset }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let lost = 0, implicit = 0, total = 0;
for (let i = 0; i < rounds; i++) {
  const topic = `race-${Date.now()}-${i}`;
  await new Promise((resolve, reject) => admin.createTopic(
    { topic, num_partitions: 3, replication_factor: 3, config: { 'min.insync.replicas': '2' } }, 5000,
    (e) => (e ? reject(e) : resolve())));
  for (let m = 0; m < 6; m++) {
    for (;;) {
      try { producer.produce(topic, m % 3, Buffer.from(`m${m}`), null, Date.now(), `${topic}:${m}`); break; }
      catch { await sleep(2); }
    }
    await sleep(3);
  }
  await new Promise((resolve) => producer.flush(20000, () => resolve()));
  const read = execFileSync('kcat', ['-b', bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%s\n'], { encoding: 'utf8' })
    .split('\n').filter(Boolean);
  for (let m = 0; m < 6; m++) {
    const rep = reports.get(`${topic}:${m}`);
    total++;
    if (rep && !rep.err && rep.offset < 0) implicit++;
    if (rep && !rep.err && !read.includes(`m${m}`)) { lost++; console.log(`LOST ${topic} m${m}: report offset ${rep.offset}`); }
  }
}
console.log(JSON.stringify({ rounds, messages: total, lost, implicitAcks: implicit }));
producer.disconnect();
admin.disconnect();
