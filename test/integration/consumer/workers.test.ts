/**
 * `tickstream sink --workers 2` on the shared broker: two sink processes in one group split
 * a topic of 6 partitions between them, every tick lands in the lake exactly once, and one
 * SIGTERM to the supervisor stops both workers cleanly (each logs its own stop, the
 * supervisor exits 0). A worker killed from outside fails the run, naming it.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../lib/async.js';
import { produceAll, requireKafka, sharedKafka } from '../../support/kafka.js';
import { createTopics, endOffsets, logRecords, readLakeDuckDB, startService, tickStream, waitForCommitted, type SinkProcess } from './support.js';

const PARTITIONS = 6;

/** Each worker's latest assignment, from its "partitions assigned" log lines. */
function assignments(p: SinkProcess): Map<number, number[]> {
  const latest = new Map<number, number[]>();
  for (const r of logRecords(p, 'partitions assigned')) latest.set(Number(r.worker), (r.partitions as number[]) ?? []);
  return latest;
}

describe('sink: --workers 2 in one group', function () {
  this.timeout(300_000);
  const kafka = sharedKafka();
  const prefix = `sinkworkers-${process.pid}-${Date.now()}.`;
  const lake = mkdtempSync(join(tmpdir(), 'tickstream-sink-workers-'));
  const started: SinkProcess[] = [];
  let topics: { ticks: string; dlq: string };

  const start = (group: string): SinkProcess => {
    const p = startService(
      'bin/tickstream.ts',
      'workers',
      {
        TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap,
        TICKSTREAM_TOPIC_PREFIX: prefix,
        TICKSTREAM_LAKE: lake,
        TICKSTREAM_SINK_GROUP: group,
        TICKSTREAM_SINK_METRICS: 'false',
        TICKSTREAM_SINK_IDLE_FLUSH_MS: '500',
        TICKSTREAM_SINK_SESSION_TIMEOUT_MS: '6000',
      },
      ['sink', '--workers', '2'],
    );
    started.push(p);
    return p;
  };

  before(async () => {
    const brokers = await requireKafka(kafka);
    topics = await createTopics(kafka, prefix, PARTITIONS, brokers);
  });

  after(async () => {
    for (const p of started) await p.kill('SIGKILL');
    rmSync(lake, { recursive: true, force: true });
  });

  it('splits the partitions, writes every tick once, and stops both workers on one SIGTERM', async () => {
    const group = `${prefix}group`;
    const sink = start(group);
    // Both workers hold a share of the partitions before any tick exists, so both write.
    const split = await waitFor(() => {
      const a = assignments(sink);
      const one = a.get(1) ?? [];
      const two = a.get(2) ?? [];
      return one.length > 0 && two.length > 0 && new Set([...one, ...two]).size === PARTITIONS && one.length + two.length === PARTITIONS;
    }, 120_000, 250);
    expect(split, `both workers assigned, disjoint, all ${PARTITIONS} partitions: ${JSON.stringify([...assignments(sink)])}\n${sink.log().slice(-3000)}`).to.equal(true);

    const stream = tickStream(6_000, { symbols: 40, days: 1, seed: 15 });
    await produceAll(kafka, topics.ticks, stream.messages);
    const end = await endOffsets(kafka, topics.ticks, PARTITIONS);
    await waitForCommitted(kafka, group, topics.ticks, end, 180_000, () => {
      if (sink.child.exitCode !== null) throw new Error(`the sink exited (${sink.child.exitCode}):\n${sink.log().slice(-3000)}`);
    });

    const code = await sink.kill('SIGTERM');
    expect(code, sink.log().slice(-3000)).to.equal(0);
    const stops = logRecords(sink, 'sink stopped').map((r) => Number(r.worker)).sort();
    expect(stops, 'each worker stopped its own sink').to.deep.equal([1, 2]);
    for (const r of logRecords(sink, 'sink stopped')) expect(r.kafkaReachable).to.equal(true);
    expect(logRecords(sink, 'sink workers ended')[0]?.status).to.equal(0);

    const read = await readLakeDuckDB(lake);
    expect(read.rows, 'every tick, no duplicate').to.equal(stream.ticks.length);
    expect(read.distinctPositions).to.equal(stream.ticks.length);
  });

  it('fails the run, naming the worker, when a worker dies', async () => {
    const sink = start(`${prefix}group-dies`);
    const both = await waitFor(() => assignments(sink).size === 2, 120_000, 250);
    expect(both, sink.log().slice(-3000)).to.equal(true);
    // The worker's pid is its parent's child: find it by its parent.
    const { execFileSync } = await import('node:child_process');
    const pids = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(sink.child.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('consumer/worker.ts'))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(pids).to.have.length(2);
    process.kill(pids[0]!, 'SIGKILL');
    const code = await sink.exited();
    expect(code, sink.log().slice(-3000)).to.equal(1);
    expect(sink.log()).to.match(/sink worker \d was killed by SIGKILL before a stop was asked for/);
    // The other worker was stopped, not left behind.
    expect(logRecords(sink, 'sink stopped')).to.have.length(1);
  });
});
