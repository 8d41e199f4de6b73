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
 *    (../shared/tools/race-first-batch.mjs). Every tick must be read back, and no tick may
 *    have been acknowledged implicitly: the topics are used only once every broker serves
 *    their leaders (lib/admin.ts waitForLeaders).
 * 2. The race itself, without that wait (the topic created by a bare admin call, as anyone
 *    else could): whatever the race does, no tick is lost silently: every tick absent from
 *    the topic is counted unconfirmed by the producer, never delivered.
 *
 * Rounds: TICKSTREAM_TEST_RACE_ROUNDS (default 25 each). Needs the shared 3-broker stack.
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

const ROUNDS = Number(process.env.TICKSTREAM_TEST_RACE_ROUNDS ?? 25);
const SYMBOLS = 'AAPL:190,MSFT:420,GOOG:170,AMZN:180,NVDA:120,META:300,TSLA:250,NFLX:600';
const TICKS = 16;

/** Every value in a topic, read to its end (kcat: no consumer group to join). */
function readBack(bootstrap: string, topic: string): string[] {
  const out = execFileSync(systemTool('kcat', 'kcat'), ['-b', bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%s\n'], { encoding: 'utf8', timeout: 30_000 });
  return out.split('\n').filter(Boolean);
}

describe('producer: fresh topics created and produced to at once', function () {
  this.timeout(900_000);
  const kafka = sharedKafka();
  let brokers = 0;

  before(async () => {
    brokers = await requireKafka(kafka);
    expect(brokers, 'the race needs replicated topics: a 3-broker stack (stack up --brokers 3)').to.be.at.least(3);
  });

  it(`every tick is read back and none is acknowledged implicitly (${ROUNDS} rounds through produce --create-topics)`, async () => {
    let produced = 0;
    let readBackTotal = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const prefix = uniquePrefix(`fresh${round}`);
      const config = testConfig(kafka, prefix, { symbols: SYMBOLS, count: TICKS, rate: 400, lingerMs: 0, flushTimeoutSec: 30 });
      const summary = await produceInProcess(config);
      const seen = new Set(readBack(kafka.bootstrap, `${prefix}ticks`).map((v) => {
        const t = JSON.parse(v) as { symbol: string; seq: number };
        return `${t.symbol}:${t.seq}`;
      }));
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

  it(`without the readiness wait, no tick is lost silently: each one missing is counted unconfirmed (${ROUNDS} rounds)`, async () => {
    const logger = createLogger('fresh-topics-test', { level: 'fatal', pretty: false });
    const admin = Kafka.AdminClient.create({ ...clientSettings(kafka, 'test-admin') } as Kafka.GlobalConfig);
    let missingTotal = 0;
    let unconfirmedTotal = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const topic = `${uniquePrefix(`race${round}`)}ticks`;
        await new Promise<void>((resolve, reject) =>
          admin.createTopic({ topic, num_partitions: 3, replication_factor: 3, config: { 'min.insync.replicas': '2' } }, 10_000, (err) => (err ? reject(err) : resolve())),
        );
        const publisher = await Publisher.connect({
          kafka,
          topics: { ticks: topic, dlq: `${topic}.dlq` },
          partitions: 3,
          queueMaxMessages: 1000,
          lingerMs: 0,
          compression: 'none',
          statsIntervalMs: 1000,
          logger,
        });
        const sent: string[] = [];
        try {
          for (let i = 0; i < 6; i++) {
            // partition i % 3: two single-message batches per partition, 3 ms apart
            const route = { ...publisher.route('S'), partition: i % 3 };
            while (!publisher.tryTick(route, Buffer.from(`m${i}`))) await publisher.waitForSpace();
            sent.push(`m${i}`);
            await new Promise((r) => setTimeout(r, 3));
          }
          expect(await publisher.flush(30_000), `flush of ${topic}`).to.equal(true);
        } finally {
          await publisher.disconnect();
        }
        const seen = new Set(readBack(kafka.bootstrap, topic));
        const missing = sent.filter((k) => !seen.has(k));
        missingTotal += missing.length;
        unconfirmedTotal += publisher.unconfirmed;
        expect(publisher.failed, topic).to.equal(0);
        // Delivered = produced - failed - unconfirmed must all be in the topic.
        expect(missing.length, `${topic}: missing ${missing.join(', ')}, unconfirmed ${publisher.unconfirmed}`).to.be.at.most(publisher.unconfirmed);
      }
    } finally {
      admin.disconnect();
    }
    process.stdout.write(`      race rounds ${ROUNDS}: ${missingTotal} tick(s) missing, ${unconfirmedTotal} counted unconfirmed\n`);
    expect(missingTotal).to.be.at.most(unconfirmedTotal);
  });
});
