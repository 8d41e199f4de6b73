// A small run of both directions of the addon, for valgrind (native/test/valgrind.sh): a
// few batches produced (with a null key, an empty value and a failure), consumed back in a
// group, committed and read back, then both clients closed. Exits 0 only when all of it
// worked. Plain JS, no tsx: valgrind then sees the addon, not a transpiler.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

const addon = createRequire(import.meta.url)('../build/Release/tickstream_native.node');
const bootstrap = process.env.TICKSTREAM_KAFKA_BOOTSTRAP ?? '127.0.0.1:9092';
const topic = process.env.SMOKE_TOPIC ?? 'ticks';
const fail = (msg) => {
  console.error(`smoke: ${msg}`);
  process.exit(1);
};

const producer = new addon.BatchProducer({ 'bootstrap.servers': bootstrap, 'enable.idempotence': 'true', acks: 'all', 'linger.ms': '5' });
const n = 200;
const data = Buffer.alloc(n * 8);
const [ks, kl, vs, vl] = [new Int32Array(n), new Int32Array(n), new Int32Array(n), new Int32Array(n)];
for (let i = 0; i < n; i++) {
  data.write(`k${String(i).padStart(3, '0')}v${String(i).padStart(3, '0')}`, i * 8);
  ks[i] = i * 8;
  kl[i] = i % 10 === 0 ? -1 : 4;
  vs[i] = i * 8 + 4;
  vl[i] = i % 7 === 0 ? 0 : 4;
}
const before = await (async () => {
  const c = new addon.BatchConsumer({ 'bootstrap.servers': bootstrap, 'group.id': 'smoke-probe' });
  const w = await c.queryWatermarkOffsets(topic, 0, 10000);
  await c.close();
  return w.high;
})();
const results = await Promise.all([0, 1, 2].map(() => producer.produceBatch(topic, data, ks, kl, vs, vl, 0)));
if (results.some((r) => r.delivered !== n)) fail(`delivery: ${JSON.stringify(results.map((r) => r.delivered))}`);
const bad = await producer.produceBatch(topic, data, ks.subarray(0, 1), kl.subarray(0, 1), vs.subarray(0, 1), vl.subarray(0, 1), 999);
if (bad.failed.length !== 1) fail('expected one failure');
try {
  producer.produceBatch(topic, data, ks, kl, vs, new Int32Array(n).fill(1000));
  fail('malformed batch accepted');
} catch (err) {
  if (!/past the buffer/.test(err.message)) fail(err.message);
}
if (!(await producer.flush(10000))) fail('flush timed out');
producer.takeErrors();
producer.takeLogs();
await producer.close();

const consumer = new addon.BatchConsumer({ 'bootstrap.servers': bootstrap, 'group.id': `smoke-${randomUUID()}`, 'enable.auto.commit': 'false', 'auto.offset.reset': 'earliest' });
consumer.assign([{ topic, partition: 0, offset: before }]);
let got = 0;
let next = before;
for (let i = 0; i < 200 && got < 3 * n; i++) {
  const b = await consumer.consumeBatch(150, 200);
  got += b.count;
  if (b.count > 0) next = b.offset[b.count - 1] + 1;
}
if (got !== 3 * n) fail(`consumed ${got} of ${3 * n}`);
// The commit settles while the consumer polls (its outcome comes through the consumer queue).
let done = false;
const commit = consumer.commit([{ topic, partition: 0, offset: next }]).finally(() => (done = true));
for (let i = 0; i < 200 && !done; i++) await consumer.consumeBatch(1, 50);
await commit;
const committed = await consumer.committed([{ topic, partition: 0 }], 10000);
if (committed[0].offset !== before + 3 * n) fail(`committed ${committed[0].offset}, expected ${before + 3 * n}`);
consumer.unassign();
consumer.takeErrors();
consumer.takeLogs();
await consumer.close();
console.log(`smoke: ok (${got} messages)`);
