/**
 * Exactly-once under crashes and rebalances, on the shared broker and a lake folder.
 *
 * Ticks are produced in rounds while sink A runs; after each round A is killed with SIGKILL
 * at a random moment and started again (static membership, so the restart gets its
 * partitions back at once). Mid-run a second instance B joins (rebalance: A's partitions are
 * split, A drops its open buffers) and later leaves with SIGTERM (rebalance back). Small
 * batches and a short wall-clock flush make kills land between an object write and its
 * commit, the case recovery exists for. At the end: every offset of the topic is in the lake
 * exactly once (no duplicates, none missing), and the bars equal bars computed here.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaClientKind } from '../../../lib/kafka-clients.js';
import { produceAll, requireKafka, sharedKafka } from '../../support/kafka.js';
import {
  barMismatches,
  createTopics,
  endOffsets,
  expectedBars,
  logRecords,
  readLakeDuckDB,
  readLakePyarrow,
  startSink,
  tickStream,
  ticksWithPositions,
  waitForCommitted,
  type SinkProcess,
} from './support.js';

const PARTITIONS = 4;
const ROUNDS = 4;

/**
 * The scenario on the client `client` names (kafka.client): the sink's suite runs it on
 * node-rdkafka (crash.test.ts), the native lane on the batch addon (test/integration/native).
 */
export function crashScenario(client: KafkaClientKind): void {
  describe(`sink (${client}): SIGKILL at random moments and a second instance joining and leaving`, function () {
    this.timeout(420_000);
    const kafka = sharedKafka();
    const prefix = `sinkcrash-${client}-${process.pid}-${Date.now()}.`;
    const group = `${prefix}group`;
    const lake = mkdtempSync(join(tmpdir(), 'tickstream-sink-crash-'));
    // 40k ticks in 8 chunks: 4 rounds of kills, then 4 chunks around the second instance.
    const stream = tickStream(40_000, { poisonEvery: 5_000, days: 2, seed: 7 });
    const chunks = Array.from({ length: 8 }, (_, i) => stream.messages.slice(i * 5_001, (i + 1) * 5_001));
    const processes: SinkProcess[] = [];
    let topics: { ticks: string; dlq: string };

    const env = (instance: string | null): Record<string, string> => ({
      TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap,
      TICKSTREAM_TOPIC_PREFIX: prefix,
      TICKSTREAM_LAKE: lake,
      TICKSTREAM_SINK_GROUP: group,
      TICKSTREAM_SINK_ROTATE_RECORDS: '1500',
      // Batches are written to the spool in chunks of 400 ticks while they fill: kills land amid those writes too.
      TICKSTREAM_SINK_SPILL_ROWS: '400',
      TICKSTREAM_SINK_FLUSH_INTERVAL_MS: '700',
      TICKSTREAM_SINK_SESSION_TIMEOUT_MS: '10000',
      TICKSTREAM_SINK_RETRY_MAX_MS: '1000',
      TICKSTREAM_KAFKA_CLIENT: client,
      ...(instance ? { TICKSTREAM_SINK_INSTANCE_ID: instance } : {}),
    });
    const start = (name: string, instance: string | null): SinkProcess => {
      const p = startSink(name, env(instance));
      processes.push(p);
      return p;
    };
    const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const assigned = async (p: SinkProcess): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (logRecords(p, 'partitions assigned').length === 0) {
        if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`${p.name} got no partitions:\n${p.log().slice(-2000)}`);
        await pause(100);
      }
    };

    before(async () => {
      const brokers = await requireKafka(kafka);
      topics = await createTopics(kafka, prefix, PARTITIONS, brokers);
    });

    after(async () => {
      for (const p of processes) await p.kill('SIGKILL');
      rmSync(lake, { recursive: true, force: true });
    });

    it('ends with every offset exactly once and bars equal to independently computed bars', async () => {
      const kills: number[] = [];
      let a = start('A0', 'sink-a');
      for (let round = 0; round < ROUNDS; round++) {
        // Kill while ticks stream in, so the kill lands amid consuming, writing and committing.
        await assigned(a);
        const producing = produceAll(kafka, topics.ticks, chunks[round]!);
        const delay = 200 + Math.floor(Math.random() * 1_500);
        kills.push(delay);
        await pause(delay);
        await a.kill('SIGKILL');
        await producing;
        a = start(`A${round + 1}`, 'sink-a');
      }
      // A second, dynamic member joins: the group rebalances and A loses half its partitions.
      await produceAll(kafka, topics.ticks, chunks[4]!);
      const b = start('B', null);
      // Until B owns partitions (seconds to start on a loaded machine), then let it work a while.
      const deadline = Date.now() + 90_000;
      while (!logRecords(b, 'partitions assigned').some((r) => (r.partitions as number[]).length > 0)) {
        if (Date.now() > deadline || b.child.exitCode !== null) throw new Error(`B got no partitions:\n${b.log().slice(-2000)}`);
        await pause(200);
      }
      await pause(2_000);
      await produceAll(kafka, topics.ticks, chunks[5]!);
      await pause(1_000 + Math.floor(Math.random() * 2_000));
      // ... and one more crash of A while B runs.
      await a.kill('SIGKILL');
      a = start('A-last', 'sink-a');
      await produceAll(kafka, topics.ticks, chunks[6]!);
      await pause(3_000);
      // B leaves: its partitions go back to A.
      await b.kill('SIGTERM');
      await produceAll(kafka, topics.ticks, chunks[7]!);

      const end = await endOffsets(kafka, topics.ticks, PARTITIONS);
      expect([...end.values()].reduce((x, y) => x + y, 0)).to.equal(stream.messages.length);
      try {
        await waitForCommitted(kafka, group, topics.ticks, end, 180_000, () => {
          if (a.child.exitCode !== null) throw new Error(`sink A exited:\n${a.log().slice(-3000)}`);
        });
      } catch (err) {
        const story = processes.map((p) => `--- ${p.name}\n${p.log().split('\n').filter((l) => !l.includes('"level":20')).slice(-15).join('\n')}`);
        throw new Error(`${(err as Error).message}\n${story.join('\n')}`);
      }
      expect(await a.kill('SIGTERM'), a.log().slice(-2000)).to.equal(0);

      const assignedToB = logRecords(b, 'partitions assigned').flatMap((r) => r.partitions as number[]);
      expect(assignedToB.length, 'B must have owned partitions (a real rebalance)').to.be.greaterThan(0);
      const rolledBack = processes.flatMap((p) => logRecords(p, 'rolled back uncommitted batches')).length;
      process.stdout.write(`      kills after ${kills.join(', ')} ms; B owned partitions ${JSON.stringify(assignedToB)}; rollbacks: ${rolledBack}\n`);

      const lakeRows = await readLakeDuckDB(lake);
      const expected = await ticksWithPositions(kafka, topics.ticks, stream);
      const missing = expected.filter((t) => !lakeRows.positions.has(`${t.partition}:${t.offset}`)).length;
      expect(missing, 'ticks missing from the lake').to.equal(0);
      expect(lakeRows.rows - lakeRows.distinctPositions, 'duplicate rows').to.equal(0);
      expect(lakeRows.rows, 'rows in raw/ticks').to.equal(stream.ticks.length);
      expect(barMismatches(lakeRows.bars, expectedBars(expected))).to.deep.equal([]);
      const py = readLakePyarrow(lake);
      expect([py.rows, py.distinct]).to.deep.equal([stream.ticks.length, stream.ticks.length]);
      // Every batch that was written was committed or rolled back: no intent is left.
      expect(readdirSync(join(lake, '_sink', 'intents'))).to.deep.equal([]);
      // The killed sinks' spool folders were removed by the next start, the stopped ones' by their stop.
      expect(readdirSync(join(lake, '_sink', 'spool'))).to.deep.equal([]);
      // ... and every sink ran on the client asked for (no fallback).
      expect(processes.flatMap((p) => logRecords(p, 'sink started')).map((r) => r.client)).to.deep.equal(processes.map(() => client));
    });
  });
}
