import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { BatchBuilder, type NativeKafka } from '../../../lib/kafka-batch.js';
import { partitionOf } from '../../../producer/wire.js';
import { freshTopic, Member, nativeConsumerConfig, nativeProducerConfig, requireAddon, until } from './support.js';

describe('native Kafka addon against a real broker (native/)', function () {
  this.timeout(180_000);
  let addon: NativeKafka;

  before(() => {
    addon = requireAddon();
  });

  it('round-trips keys and values, null and empty included, with one delivery result per batch', async () => {
    const { kafka, topic } = await freshTopic(3);
    const producer = new addon.BatchProducer(nativeProducerConfig(kafka));
    const b = new BatchBuilder(100);
    const sent: Array<{ key: string | null; value: string | null; partition: number }> = [
      { key: 'AAPL', value: '{"price":1}', partition: 0 },
      { key: null, value: 'no key', partition: 1 },
      { key: '', value: '', partition: 2 },
      { key: 'k', value: null, partition: 2 },
      { key: 'ü-ñ', value: 'x'.repeat(100_000), partition: 1 },
    ];
    for (const m of sent) b.add(m.key === null ? null : Buffer.from(m.key), m.value === null ? null : Buffer.from(m.value), m.partition);
    const batch = b.take();
    const result = await producer.produceBatch(topic, batch.data, batch.keyStart, batch.keyLen, batch.valueStart, batch.valueLen, batch.partition);
    expect(result).to.deep.equal({ delivered: sent.length, failed: [], unconfirmed: [] });
    expect(await producer.flush(10_000)).to.equal(true);
    await producer.close();

    const member = new Member(addon, kafka, topic, `g-${randomUUID()}`).start();
    try {
      await until('all messages consumed', () => member.received.length >= sent.length);
    } finally {
      await member.stop();
    }
    const got = member.received.map((r) => ({ key: r.key, value: r.value, partition: r.partition }));
    expect(got).to.have.deep.members(sent);
    expect(member.events[0]!.kind).to.equal('assign');
    expect(member.events[0]!.partitions.map((p) => p.partition).sort()).to.deep.equal([0, 1, 2]);
  });

  it('keeps per-partition order across batches produced back to back, and consumes in batches of at most max', async () => {
    const { kafka, topic } = await freshTopic(3);
    const producer = new addon.BatchProducer(nativeProducerConfig(kafka));
    const symbols = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA'];
    const seq = new Map<string, number>();
    const pending = [];
    let total = 0;
    for (let batchNo = 0; batchNo < 20; batchNo++) {
      const b = new BatchBuilder(500);
      for (let i = 0; i < 500; i++) {
        const s = symbols[(batchNo * 500 + i) % symbols.length]!;
        const n = seq.get(s) ?? 0;
        seq.set(s, n + 1);
        const key = Buffer.from(s);
        b.add(key, Buffer.from(`${s}:${n}`), partitionOf(key, 3));
      }
      const batch = b.take();
      total += batch.count;
      // Not awaited: the addon must keep the call order.
      pending.push(producer.produceBatch(topic, batch.data, batch.keyStart, batch.keyLen, batch.valueStart, batch.valueLen, batch.partition));
    }
    const results = await Promise.all(pending);
    expect(results.reduce((a, r) => a + r.delivered, 0)).to.equal(total);
    expect(results.every((r) => r.failed.length === 0 && r.unconfirmed.length === 0)).to.equal(true);
    await producer.close();

    const member = new Member(addon, kafka, topic, `g-${randomUUID()}`, 7).start();
    try {
      await until('all messages consumed', () => member.received.length >= total);
    } finally {
      await member.stop();
    }
    expect(member.received.length).to.equal(total);
    expect(member.maxBatch).to.be.at.most(7);
    const last = new Map<string, number>();
    for (const r of member.received) {
      const [s, n] = r.value!.split(':');
      expect(Number(n)).to.equal((last.get(s!) ?? -1) + 1, `order of ${s}`);
      last.set(s!, Number(n));
      expect(r.partition).to.equal(partitionOf(Buffer.from(s!), 3));
    }
  });

  it('reports failures per message by index and librdkafka code (an unknown partition)', async () => {
    const { kafka, topic } = await freshTopic(2);
    const producer = new addon.BatchProducer(nativeProducerConfig(kafka));
    const b = new BatchBuilder(3);
    b.add(null, Buffer.from('ok'), 0);
    b.add(null, Buffer.from('nowhere'), 7);
    b.add(null, Buffer.from('ok too'), 1);
    const batch = b.take();
    const r = await producer.produceBatch(topic, batch.data, batch.keyStart, batch.keyLen, batch.valueStart, batch.valueLen, batch.partition);
    expect(r.delivered).to.equal(2);
    expect(r.failed.map((f) => ({ index: f.index, name: f.name }))).to.deep.equal([{ index: 1, name: '_UNKNOWN_PARTITION' }]);
    expect(r.failed[0]!.code).to.equal(-190);
    await producer.close();
  });

  it('hands rebalances to JS: two members of one group split the partitions, each assigned by its own call', async () => {
    const { kafka, topic } = await freshTopic(4);
    const group = `g-${randomUUID()}`;
    const a = new Member(addon, kafka, topic, group).start();
    let b: Member | null = null;
    try {
      await until('the first member owns every partition', () => a.owned.size === 4);
      // Subscribing joins the group: the second member exists only from here on.
      b = new Member(addon, kafka, topic, group).start();
      const second = b;
      await until('both members own partitions', () => a.owned.size > 0 && second.owned.size > 0 && a.owned.size + second.owned.size === 4);
      expect([...a.owned, ...second.owned].sort()).to.deep.equal([0, 1, 2, 3]);
      expect(a.events.map((e) => e.kind)).to.deep.equal(['assign', 'revoke', 'assign']);
      expect(second.consumer.assignment().map((p) => p.partition).sort()).to.deep.equal([...second.owned].sort());
    } finally {
      await b?.stop();
      await a.stop();
    }
  });

  it('commits offsets and reads them back; watermarks match what was produced', async () => {
    const { kafka, topic } = await freshTopic(2);
    const producer = new addon.BatchProducer(nativeProducerConfig(kafka));
    const b = new BatchBuilder(10);
    for (let i = 0; i < 10; i++) b.add(null, Buffer.from(String(i)), i % 2);
    const batch = b.take();
    await producer.produceBatch(topic, batch.data, batch.keyStart, batch.keyLen, batch.valueStart, batch.valueLen, batch.partition);
    await producer.close();
    const consumer = new addon.BatchConsumer(nativeConsumerConfig(kafka, `g-${randomUUID()}`));
    try {
      expect(await consumer.queryWatermarkOffsets(topic, 1, 10_000)).to.deep.equal({ low: 0, high: 5 });
      consumer.assign([{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }].map((p) => ({ ...p, topic })));
      // The outcome arrives through the consumer queue: it settles while the consumer polls.
      const commit = consumer.commit([{ topic, partition: 0, offset: 3 }, { topic, partition: 1, offset: 5 }]);
      let settled = false;
      void commit.then(() => (settled = true), () => (settled = true));
      for (let i = 0; i < 300 && !settled; i++) await consumer.consumeBatch(100, 100);
      const committed = await commit;
      expect(committed.map((p) => [p.partition, p.offset, p.error ?? null])).to.deep.equal([[0, 3, null], [1, 5, null]]);
      const read = await consumer.committed([{ topic, partition: 0 }, { topic, partition: 1 }], 10_000);
      expect(read.map((p) => [p.partition, p.offset])).to.deep.equal([[0, 3], [1, 5]]);
    } finally {
      consumer.unassign();
      await consumer.close();
    }
  });

  it("hands over librdkafka's statistics (broker states, for reachability) when asked for them", async () => {
    const { kafka, topic } = await freshTopic(1);
    const consumer = new addon.BatchConsumer(nativeConsumerConfig(kafka, `g-${randomUUID()}`, { 'statistics.interval.ms': '100' }));
    try {
      consumer.subscribe(topic);
      let stats: string | null = null;
      for (let i = 0; i < 100 && stats === null; i++) {
        await consumer.consumeBatch(10, 100);
        stats = consumer.takeStats();
      }
      const brokers = Object.values((JSON.parse(stats!) as { brokers: Record<string, { state: string }> }).brokers);
      expect(brokers.some((b) => b.state === 'UP')).to.equal(true);
    } finally {
      await consumer.close();
    }
  });

  it('pauses and resumes a partition', async () => {
    const { kafka, topic } = await freshTopic(1);
    const consumer = new addon.BatchConsumer(nativeConsumerConfig(kafka, `g-${randomUUID()}`));
    const producer = new addon.BatchProducer(nativeProducerConfig(kafka));
    const produce = async (n: number, from: number): Promise<void> => {
      const b = new BatchBuilder(n);
      for (let i = 0; i < n; i++) b.add(null, Buffer.from(String(from + i)), 0);
      const batch = b.take();
      const r = await producer.produceBatch(topic, batch.data, batch.keyStart, batch.keyLen, batch.valueStart, batch.valueLen, batch.partition);
      expect(r.delivered).to.equal(n);
    };
    try {
      consumer.assign([{ topic, partition: 0, offset: 0 }]);
      await produce(5, 0);
      let seen = 0;
      for (let i = 0; i < 100 && seen < 5; i++) seen += (await consumer.consumeBatch(100, 200)).count;
      expect(seen).to.equal(5);
      const paused = consumer.pause([{ topic, partition: 0 }]);
      expect(paused[0]!.error).to.equal(undefined);
      await produce(5, 5);
      // Paused: several polls find nothing although 5 messages wait.
      for (let i = 0; i < 5; i++) expect((await consumer.consumeBatch(100, 200)).count).to.equal(0);
      consumer.resume([{ topic, partition: 0 }]);
      let after = 0;
      for (let i = 0; i < 100 && after < 5; i++) after += (await consumer.consumeBatch(100, 200)).count;
      expect(after).to.equal(5);
    } finally {
      consumer.unassign();
      await consumer.close();
      await producer.close();
    }
  });

  it('rejects malformed input with clear errors and keeps working', async () => {
    const { kafka, topic } = await freshTopic(1);
    expect(() => new addon.BatchConsumer({ 'group.id': 'g', 'no.such.key': '1' })).to.throw(/no\.such\.key.*No such configuration property/);
    expect(() => new addon.BatchProducer({ 'linger.ms': 'soon' })).to.throw(/linger\.ms.*Invalid value/);
    expect(() => new addon.BatchProducer({ 'linger.ms': 5 } as unknown as Record<string, string>)).to.throw(TypeError, /linger\.ms.*must be a string/);
    expect(() => new addon.BatchProducer({ 'delivery.report.only.error': 'true' })).to.throw(/delivery\.report\.only\.error=true is not supported/);
    expect(() => new (addon.BatchProducer as unknown as new () => unknown)()).to.throw(TypeError, /config object/);

    const producer = new addon.BatchProducer(nativeProducerConfig(kafka));
    const data = Buffer.from('keyvalue');
    const i32 = (...v: number[]): Int32Array => Int32Array.from(v);
    const call = (...args: unknown[]) => () => (producer.produceBatch as (...a: unknown[]) => unknown)(...args);
    expect(call(42, data, i32(0), i32(3), i32(3), i32(5))).to.throw(TypeError, /topic/);
    expect(call(topic, 'text', i32(0), i32(3), i32(3), i32(5))).to.throw(TypeError, /buffer must be a Buffer/);
    expect(call(topic, data, [0], i32(3), i32(3), i32(5))).to.throw(TypeError, /keyStart must be an Int32Array/);
    expect(call(topic, data, i32(0), i32(3, 1), i32(3), i32(5))).to.throw(TypeError, /keyLen must be an Int32Array of 1 elements/);
    expect(call(topic, data, i32(0), i32(3), i32(3), new Float64Array(1))).to.throw(TypeError, /valueLen/);
    expect(call(topic, data, i32(0), i32(3), i32(3), i32(6))).to.throw(TypeError, /value 0: bytes 3\.\.9 are past the buffer's 8/);
    expect(call(topic, data, i32(0), i32(-5), i32(3), i32(5))).to.throw(TypeError, /key 0: length -5/);
    expect(call(topic, data, i32(-1), i32(3), i32(3), i32(5))).to.throw(TypeError, /key 0: bytes -1/);
    expect(call(topic, data, i32(2147483647), i32(2147483647), i32(3), i32(5))).to.throw(TypeError, /past the buffer/);
    expect(call(topic, data, i32(0), i32(3), i32(3), i32(5), 1.5)).to.throw(TypeError, /partition must be an integer/);
    expect(call(topic, data, i32(0), i32(3), i32(3), i32(5), i32(-7))).to.throw(TypeError, /partition\[0\] is -7/);
    expect(() => producer.flush(-1)).to.throw(TypeError, /timeoutMs/);
    // Still works after all that.
    const ok = await producer.produceBatch(topic, data, i32(0), i32(3), i32(3), i32(5), 0);
    expect(ok.delivered).to.equal(1);
    // An empty batch settles at once.
    expect((await producer.produceBatch(topic, data, i32(), i32(), i32(), i32())).delivered).to.equal(0);
    await producer.close();
    expect(() => producer.flush(10)).to.throw(/closed/);

    const consumer = new addon.BatchConsumer(nativeConsumerConfig(kafka, `g-${randomUUID()}`));
    expect(() => consumer.subscribe('')).to.throw(TypeError, /topic/);
    expect(() => consumer.consumeBatch(0, 10)).to.throw(TypeError, /max must be an integer from 1/);
    expect(() => consumer.consumeBatch(10, -1)).to.throw(TypeError, /timeoutMs/);
    expect(() => consumer.assign([{ topic, partition: -1, offset: 0 }])).to.throw(TypeError, /element 0: partition/);
    expect(() => consumer.assign('x' as unknown as [])).to.throw(TypeError, /array/);
    expect(() => consumer.commit([{ topic, partition: 0 }])).to.throw(TypeError, /offset must be an integer/);
    // A commit nobody polled for is rejected by close, not left hanging.
    const unpolled = consumer.commit([{ topic, partition: 0, offset: 0 }]).then(() => 'resolved', (err: Error) => err.message);
    const first = consumer.consumeBatch(10, 100);
    expect(() => consumer.consumeBatch(10, 100)).to.throw(/already being consumed/);
    expect(() => consumer.close()).to.throw(/still in progress/);
    await first;
    await consumer.close();
    expect(await unpolled).to.be.oneOf(['resolved', 'consumer closed before the commit was answered']);
    expect(() => consumer.assignment()).to.throw(/closed/);
  });
});
