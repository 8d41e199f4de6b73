/**
 * The first integration test of the issue: node-rdkafka talks to a real broker in both
 * metadata modes (ZooKeeper with Kafka 3.9, KRaft with Kafka 4) and with 1 and 3 brokers.
 * An idempotent acks=all producer writes keyed messages, a consumer group with manual
 * commits reads every one back in per-partition order, and a second consumer in the same
 * group sees nothing, which proves the commits took.
 */
import { expect } from 'chai';
import { ensureTopics } from '../../../lib/admin.js';
import { fetchMetadata } from '../../../lib/kafka-probe.js';
import type { MetadataMode } from '../../../lib/kafka.js';
import { consumeCount, produceAll, startPrivateStack, type PrivateStack, type TestMessage } from '../../support/kafka.js';

const MATRIX: Array<{ mode: MetadataMode; brokers: number }> = [
  { mode: 'zookeeper', brokers: 1 },
  { mode: 'zookeeper', brokers: 3 },
  { mode: 'kraft', brokers: 1 },
  { mode: 'kraft', brokers: 3 },
];

for (const { mode, brokers } of MATRIX) {
  describe(`node-rdkafka round trip: ${mode} mode, ${brokers} broker(s)`, function () {
    this.timeout(180_000);
    let stack: PrivateStack;

    before(async () => {
      stack = await startPrivateStack({ mode, brokers });
    });
    after(async () => {
      await stack?.down();
    });

    it('runs the pinned Kafka line of the mode', () => {
      expect(stack.state.kafkaVersion).to.match(mode === 'zookeeper' ? /^3\.9\./ : /^4\./);
      expect(stack.state.members.filter((m) => m.role === 'zookeeper')).to.have.length(mode === 'zookeeper' ? 1 : 0);
    });

    it('delivers every message exactly once, in order per partition, with committed offsets', async () => {
      const topic = `roundtrip-${mode}-${brokers}`;
      await ensureTopics(stack.kafka, [
        { name: topic, partitions: 4, replicationFactor: brokers, config: { 'min.insync.replicas': String(Math.min(2, brokers)) } },
      ]);
      const md = await fetchMetadata('127.0.0.1', stack.state.members.find((m) => m.role === 'broker')!.port, { topics: [topic] });
      expect(md.topics[0]!.partitions).to.have.length(4);
      expect(md.topics[0]!.partitions.every((p) => p.replicas.length === brokers)).to.equal(true);

      const messages: TestMessage[] = Array.from({ length: 2000 }, (_, i) => ({ key: `SYM${i % 7}`, value: `${i}` }));
      await produceAll(stack.kafka, topic, messages);

      const got = await consumeCount(stack.kafka, topic, 'roundtrip', messages.length);
      expect(got).to.have.length(messages.length);
      expect(new Set(got.map((m) => m.value)).size).to.equal(messages.length);
      // Same key, same partition, and the order each key was produced in.
      const byKey = new Map<string, ConsumedOrder>();
      for (const m of got) {
        const seen = byKey.get(m.key) ?? { partition: m.partition, last: -1 };
        expect(m.partition, `key ${m.key} moved partitions`).to.equal(seen.partition);
        expect(Number(m.value), `key ${m.key} out of order`).to.be.greaterThan(seen.last);
        byKey.set(m.key, { partition: m.partition, last: Number(m.value) });
      }

      const again = await consumeCount(stack.kafka, topic, 'roundtrip', 1, { idleMs: 4000 });
      expect(again, 'the group re-read committed messages').to.have.length(0);
    });
  });
}

interface ConsumedOrder {
  partition: number;
  last: number;
}
