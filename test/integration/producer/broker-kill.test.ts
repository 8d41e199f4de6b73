/**
 * Losing a broker mid-run loses no acknowledged tick. A private 3-broker stack (replication
 * 3, min.insync.replicas 2, the design's durability), the producer publishing at a steady
 * rate, and the leader of a ticks partition killed with SIGKILL a few seconds in. The run
 * must end with every tick acknowledged, and a consumer must find each symbol's ticks
 * complete (seq 0..n-1), once each, in order.
 */
import { expect } from 'chai';
import { clusterMetadata, ensureTopics } from '../../../lib/admin.js';
import { stopBroker } from '../../../local/stack.js';
import { consumeCount, produceAll, startPrivateStack, type PrivateStack } from '../../support/kafka.js';
import { orderProblems, produceInProcess, readTicks, testConfig, uniquePrefix } from './support.js';

const PORT_BASE = 21592;
const COUNT = 40_000;
const RATE = 4000;

describe('producer: a broker killed during a run (private 3-broker stack)', function () {
  this.timeout(420_000);
  let stack: PrivateStack;

  before(async () => {
    stack = await startPrivateStack({ mode: 'zookeeper', brokers: 3, portBase: PORT_BASE });
    // Kafka creates __consumer_offsets (replication 3) on the first group join, which it
    // cannot do with a broker down: join a group now, while all three are up.
    await ensureTopics(stack.kafka, [{ name: 'warm-up', partitions: 1, replicationFactor: 3, config: {} }]);
    await produceAll(stack.kafka, 'warm-up', [{ key: 'k', value: 'v' }]);
    expect(await consumeCount(stack.kafka, 'warm-up', 'warm-up', 1)).to.have.length(1);
  });
  after(async () => {
    await stack?.down();
  });

  it('loses no acknowledged tick when the leader of a partition dies', async () => {
    const prefix = uniquePrefix('kill');
    const topic = `${prefix}ticks`;
    const config = testConfig(stack.kafka, prefix, {
      rate: RATE,
      count: COUNT,
      symbols: 'AA:10,BB:20,CC:30,DD:40,EE:50,FF:60,GG:70,HH:80',
      flushTimeoutSec: 120,
      metrics: true,
      metricsPort: 0,
    });
    let port = 0;
    const run = produceInProcess(config, undefined, (p) => (port = p));

    // Once a tenth of the ticks are out, kill the leader of partition 0.
    const started = Date.now();
    let produced = 0;
    while (produced < COUNT / 10 && Date.now() - started < 120_000) {
      await new Promise((r) => setTimeout(r, 250));
      if (port === 0) continue;
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      produced = Number(/^tickstream_producer_ticks_produced_total\S* (\d+)/m.exec(text)?.[1] ?? 0);
    }
    const md = await clusterMetadata(stack.kafka.bootstrap, [topic]);
    const p0 = md.topics[0]!.partitions.find((p) => p.partition === 0)!;
    expect(p0.replicas).to.have.length(3);
    const victim = p0.leader;
    expect(victim, 'no leader for partition 0').to.be.greaterThan(0);
    await stopBroker(stack.config.dir, victim, { kill: true });
    const killedAt = Date.now();

    const summary = await run;
    const finished = Date.now();
    expect(finished - killedAt, 'the broker died after the run had ended').to.be.greaterThan(1000);
    expect(summary).to.deep.include({ ticksProduced: COUNT, ticksDelivered: COUNT, ticksFailed: 0, ticksUnconfirmed: 0, flushed: true });

    const after = await clusterMetadata(stack.kafka.bootstrap, [topic]);
    expect(after.brokers.map((b) => b.nodeId)).to.not.include(victim);
    expect(after.topics[0]!.partitions.every((p) => p.leader !== victim && p.leader > 0)).to.equal(true);

    const ticks = await readTicks(stack.kafka, topic, COUNT + 1, 15_000);
    expect(ticks).to.have.length(COUNT);
    expect(orderProblems(ticks)).to.deep.equal([]);
    expect(new Set(ticks.map((t) => t.symbol)).size).to.equal(8);
  });
});
