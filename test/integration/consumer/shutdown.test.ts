/**
 * A second SIGTERM abandons a finishing stop at once (docs/sink.md, "Stop it with SIGTERM").
 *
 * The sink on S3 (a private moto server) holds open batches (no rotation, no wall-clock
 * flush) when S3 goes down (the moto process is killed). The first SIGTERM starts a finishing
 * stop: the open batches are closed and their writes retried, so the process stays up for
 * as long as the shutdown timeout allows (here 5 minutes). The second SIGTERM must end it
 * within seconds, cleanly (exit 0), with nothing committed. With S3 back, the next start
 * writes every tick exactly once.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Store } from '../../../consumer/store/s3.js';
import { produceAll, requireKafka, sharedKafka } from '../../support/kafka.js';
import { startMoto, TEST_AWS_ENV, type MotoServer } from '../../support/moto.js';
import { committedOffsets, createTopics, endOffsets, logRecords, mirrorBucket, readLakeDuckDB, startSink, tickStream, waitForCommitted, type SinkProcess } from './support.js';

const PARTITIONS = 2;
const MOTO_PORT = 25_150 + (process.pid % 50);

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sink: a second SIGTERM abandons a finishing stop', function () {
  this.timeout(300_000);
  const kafka = sharedKafka();
  const prefix = `sinkstop-${process.pid}-${Date.now()}.`;
  const group = `${prefix}group`;
  const bucket = `stop-${process.pid}`;
  const url = `s3://${bucket}/tickstream`;
  const stream = tickStream(3_000, { days: 1, seed: 31 });
  const mirror = mkdtempSync(join(tmpdir(), 'tickstream-stop-mirror-'));
  let moto: MotoServer;
  let topics: { ticks: string; dlq: string };
  const sinks: SinkProcess[] = [];

  const createBucket = async (): Promise<void> => {
    const store = new S3Store({ url: `s3://${bucket}`, endpoint: moto.endpoint });
    await store.client.send(new CreateBucketCommand({ Bucket: bucket }));
    await store.close();
  };

  const start = (): SinkProcess => {
    const sink = startSink(`stop-${sinks.length}`, {
      ...TEST_AWS_ENV,
      TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap,
      TICKSTREAM_TOPIC_PREFIX: prefix,
      TICKSTREAM_LAKE: url,
      TICKSTREAM_S3_ENDPOINT: moto.endpoint,
      TICKSTREAM_S3_REQUEST_TIMEOUT_MS: '2000',
      TICKSTREAM_SINK_GROUP: group,
      TICKSTREAM_SINK_ROTATE_EVENT_MS: '0',
      // One time partition for the whole stream (it spans two days): a batch also closes when
      // a later partition starts, and this test needs its ticks to stay in open batches.
      TICKSTREAM_LAKE_PARTITIONING: 'year',
      TICKSTREAM_SINK_FLUSH_INTERVAL_MS: '0',
      TICKSTREAM_SINK_IDLE_FLUSH_MS: sinks.length === 0 ? '0' : '500',
      TICKSTREAM_SINK_RETRY_BASE_MS: '100',
      TICKSTREAM_SINK_RETRY_MAX_MS: '500',
      TICKSTREAM_SINK_SHUTDOWN_TIMEOUT_MS: '300000',
      TICKSTREAM_SINK_METRICS: 'false',
    });
    sinks.push(sink);
    return sink;
  };

  before(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    const brokers = await requireKafka(kafka);
    topics = await createTopics(kafka, prefix, PARTITIONS, brokers);
    moto = await startMoto(MOTO_PORT);
    await createBucket();
  });

  after(async () => {
    for (const s of sinks) await s.kill('SIGKILL');
    await moto?.stop();
    rmSync(mirror, { recursive: true, force: true });
  });

  it('stops at once on the second signal, commits nothing, and the next start writes every tick once', async () => {
    const first = start();
    const deadline = Date.now() + 60_000;
    while (logRecords(first, 'partitions assigned').length === 0) {
      if (first.child.exitCode !== null || Date.now() > deadline) throw new Error(`sink did not get its partitions:\n${first.log().slice(-3000)}`);
      await pause(200);
    }
    await produceAll(kafka, topics.ticks, stream.messages);
    await pause(3_000); // the ticks sit in open batches: nothing closes them
    await moto.stop();

    first.child.kill('SIGTERM');
    await pause(4_000);
    expect(first.child.exitCode, 'a finishing stop waits for S3').to.equal(null);
    expect(first.log()).to.contain('write failed; retrying');
    const t0 = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited(), first.log().slice(-3000)).to.equal(0);
    expect(Date.now() - t0, 'the second signal ends the stop').to.be.below(15_000);
    expect(first.log()).to.contain('abandon requested; dropping unwritten batches');
    const committed = await committedOffsets(kafka, group, topics.ticks, PARTITIONS);
    expect([...committed.values()]).to.deep.equal(Array(PARTITIONS).fill(-1));

    // S3 back (moto comes back empty; nothing was committed, so empty is what S3 would hold).
    await moto.start();
    await createBucket();
    const second = start();
    const end = await endOffsets(kafka, topics.ticks, PARTITIONS);
    await waitForCommitted(kafka, group, topics.ticks, end, 120_000, () => {
      if (second.child.exitCode !== null) throw new Error(`sink exited:\n${second.log().slice(-3000)}`);
    });
    expect(await second.kill('SIGTERM'), second.log().slice(-2000)).to.equal(0);
    await mirrorBucket(`s3://${bucket}`, moto.endpoint, mirror);
    const lake = await readLakeDuckDB(join(mirror, 'tickstream'));
    expect([lake.rows, lake.distinctPositions]).to.deep.equal([stream.ticks.length, stream.ticks.length]);
  });
});
