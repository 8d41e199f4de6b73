/**
 * The first-batch race on fresh topics (issue 14, item 1; docs/producer.md "Topic
 * readiness"): right after a topic is created, a broker not yet serving as leader refuses
 * the producer's first idempotent batch, accepts the second as the first (KAFKA-15591), and
 * librdkafka reports the first as delivered without an offset (implicit ack). Seen as the
 * writer's first message missing for every reader.
 *
 * 1. Through the product's own path (`runProducer` with --create-topics): many rounds each
 *    create fresh topics and at once publish ticks a few ms apart with linger 0, so that
 *    several single-message batches per partition are in flight, as in the reproducer
 *    (bench/race/race-first-batch.mjs). Every tick must be read back, and no tick may
 *    have been acknowledged implicitly: the topics are used only once every broker serves
 *    their leaders (lib/admin.ts waitForLeaders).
 * 2. The race itself, without that wait (the topic created by a bare admin call, as anyone
 *    else could), through the product's Publisher: whatever the race does, no tick is lost
 *    silently: the implicitly acknowledged ticks are re-read from their partition, and
 *    exactly the ticks absent from the topic end up counted failed.
 *
 * Rounds: TICKSTREAM_TEST_RACE_ROUNDS (default 20 each; about 4-5 s a round). Needs the shared 3-broker stack.
 */
import { expect } from 'chai';
import Kafka from 'node-rdkafka';
import { execFileSync } from 'node:child_process';
import { clientSettings } from '../../../lib/kafka.js';
import { createLogger } from '../../../lib/logger.js';
import { Publisher } from '../../../producer/publisher.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import { systemTool } from '../../support/tools.js';
import { produceInProcess, testConfig, uniquePrefix } from './support.js';

const ROUNDS = Number(process.env.TICKSTREAM_TEST_RACE_ROUNDS ?? 20);
const SYMBOLS = 'AAPL:190,MSFT:420,GOOG:170,AMZN:180,NVDA:120,META:300,TSLA:250,NFLX:600';
const TICKS = 16;
/** Partitions of the race topics: each partition's first batch is one chance of the race. */
const RACE_PARTITIONS = 12;

/** Deletes a round's topics so that rounds do not pile up partitions on the shared cluster. */
async function deleteTopics(admin: Kafka.IAdminClient, topics: readonly string[]): Promise<void> {
  for (const topic of topics) {
    await new Promise<void>((resolve) => admin.deleteTopic(topic, 10_000, () => resolve()));
  }
}

/** Every value in a topic, read to its end (kcat: no consumer group to join). */
function readBack(bootstrap: string, topic: string): string[] {
  const out = execFileSync(systemTool('kcat', 'kcat'), ['-b', bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%s\n'], { encoding: 'utf8', timeout: 30_000 });
  return out.split('\n').filter(Boolean);
}

describe('producer: fresh topics created and produced to at once', function () {
  this.timeout(900_000);
  const kafka = sharedKafka();
  let brokers = 0;
  let admin: Kafka.IAdminClient | null = null;

  before(async () => {
    brokers = await requireKafka(kafka);
    expect(brokers, 'the race needs replicated topics: a 3-broker stack (stack up --brokers 3)').to.be.at.least(3);
    admin = Kafka.AdminClient.create({ ...clientSettings(kafka, 'test-admin') } as Kafka.GlobalConfig);
  });

  after(() => {
    admin?.disconnect();
  });

  it(`every tick is read back and none is acknowledged implicitly (${ROUNDS} rounds through produce --create-topics)`, async () => {
    let produced = 0;
    let readBackTotal = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const prefix = uniquePrefix(`fresh${round}`);
      const config = testConfig(kafka, prefix, { symbols: SYMBOLS, count: TICKS, rate: 400, lingerMs: 0, flushTimeoutSec: 60 });
      const summary = await produceInProcess(config);
      const seen = new Set(
        readBack(kafka.bootstrap, `${prefix}ticks`).map((v) => {
          const t = JSON.parse(v) as { symbol: string; seq: number };
          return `${t.symbol}:${t.seq}`;
        }),
      );
      await deleteTopics(admin!, [`${prefix}ticks`, `${prefix}ticks.dlq`]);
      produced += summary.ticksProduced;
      readBackTotal += seen.size;
      const where = `round ${round} (${prefix}ticks): ${JSON.stringify({ ...summary, failureReasons: undefined })}`;
      expect(summary.ticksProduced, where).to.equal(TICKS);
      expect(summary.ticksUnconfirmed, `implicit acks in ${where}`).to.equal(0);
      expect(summary.ticksFailed, where).to.equal(0);
      expect(summary.ticksDelivered, where).to.equal(TICKS);
      expect(seen.size, `ticks read back in ${where}`).to.equal(TICKS);
    }
    expect([produced, readBackTotal]).to.deep.equal([ROUNDS * TICKS, ROUNDS * TICKS]);
  });

  it(`without the readiness wait, no tick is lost silently: each one missing is counted failed by the re-check (${ROUNDS} rounds)`, async () => {
    const logger = createLogger('fresh-topics-test', { level: 'fatal', pretty: false });
    const totals = { produced: 0, missing: 0, implicit: 0, confirmed: 0, absent: 0, unresolved: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const topic = `${uniquePrefix(`race${round}`)}ticks`;
      await new Promise<void>((resolve, reject) =>
        admin!.createTopic({ topic, num_partitions: RACE_PARTITIONS, replication_factor: 3, config: { 'min.insync.replicas': '2' } }, 10_000, (err) => (err ? reject(err) : resolve())),
      );
      const publisher = await Publisher.connect({
        kafka,
        topics: { ticks: topic, dlq: `${topic}.dlq` },
        partitions: RACE_PARTITIONS,
        queueMaxMessages: 1000,
        lingerMs: 0,
        compression: 'none',
        statsIntervalMs: 1000,
        logger,
      });
      const sent: string[] = [];
      try {
        for (let i = 0; i < 2 * RACE_PARTITIONS; i++) {
          // two single-message batches per partition, 3 ms apart
          const symbol = `S${i % RACE_PARTITIONS}`;
          const route = { ...publisher.route(symbol), partition: i % RACE_PARTITIONS };
          const value = Buffer.from(JSON.stringify({ symbol, ts: Date.now(), price: 1, volume: 1, source: 'sim', seq: i }));
          while (!publisher.tryTick(route, value)) await publisher.waitForSpace();
          sent.push(`${symbol}:${i}`);
          await new Promise((r) => setTimeout(r, 3));
        }
        expect(await publisher.flush(60_000), `flush of ${topic}`).to.equal(true);
        totals.implicit += publisher.unconfirmed;
        await publisher.recheckImplicitAcks(30_000);
      } finally {
        await publisher.disconnect();
      }
      const seen = new Set(
        readBack(kafka.bootstrap, topic).map((v) => {
          const t = JSON.parse(v) as { symbol: string; seq: number };
          return `${t.symbol}:${t.seq}`;
        }),
      );
      await deleteTopics(admin!, [topic]);
      const missing = sent.filter((k) => !seen.has(k));
      const acks = publisher.implicitAcks;
      totals.produced += sent.length;
      totals.missing += missing.length;
      totals.confirmed += acks.reduce((n, a) => n + a.confirmed, 0);
      totals.absent += acks.reduce((n, a) => n + a.absent, 0);
      const where = `${topic}: missing ${missing.join(', ') || 'none'}, implicit acks ${JSON.stringify(acks)}`;
      totals.unresolved += publisher.unconfirmed;
      // Nothing lost silently: every missing tick is counted failed or (not re-checkable,
      // e.g. the start offset could not be read on an overloaded cluster) unconfirmed.
      expect(missing.length, where).to.be.at.most(publisher.failed + publisher.unconfirmed);
      // The re-check never calls a tick absent that is there, and when it could check
      // every implicitly acknowledged tick it names exactly the missing ones.
      expect(publisher.failed, where).to.be.at.most(missing.length);
      expect(acks.reduce((n, a) => n + a.absent, 0), where).to.equal(publisher.failed);
      if (publisher.unconfirmed === 0) expect(publisher.failed, where).to.equal(missing.length);
    }
    process.stdout.write(`      race rounds ${ROUNDS}: ${JSON.stringify(totals)}\n`);
    expect(totals.missing).to.be.at.most(totals.absent + totals.unresolved);
  });
});
