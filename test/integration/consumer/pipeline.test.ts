/**
 * The sink end to end on the shared broker and a lake folder: N ticks (plus poison
 * messages) in, exactly N rows out, read back by DuckDB and by pyarrow, in the right `dt=`
 * folders with the design's types; bars equal to bars computed here from the produced ticks;
 * every poison message in the DLQ with its origin; a clean SIGTERM exit.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { produceAll, requireKafka, sharedKafka } from '../../support/kafka.js';
import {
  barMismatches,
  createTopics,
  endOffsets,
  expectedBars,
  readDeadLetters,
  readLakeDuckDB,
  readLakePyarrow,
  startSink,
  tickStream,
  ticksWithPositions,
  waitForCommitted,
  type SinkProcess,
} from './support.js';

const PARTITIONS = 4;

describe('sink: Kafka to a local lake', function () {
  this.timeout(240_000);
  const kafka = sharedKafka();
  const prefix = `sinkit-${process.pid}-${Date.now()}.`;
  const group = `${prefix}group`;
  const lake = mkdtempSync(join(tmpdir(), 'tickstream-sink-lake-'));
  const stream = tickStream(30_000, { poisonEvery: 2_000, days: 3 });
  let topics: { ticks: string; dlq: string };
  let sink: SinkProcess | null = null;

  before(async () => {
    const brokers = await requireKafka(kafka);
    topics = await createTopics(kafka, prefix, PARTITIONS, brokers);
    await produceAll(kafka, topics.ticks, stream.messages);
  });

  after(async () => {
    await sink?.kill('SIGKILL');
    rmSync(lake, { recursive: true, force: true });
  });

  it('writes every tick exactly once, bars, and dead letters, then stops cleanly on SIGTERM', async () => {
    const end = await endOffsets(kafka, topics.ticks, PARTITIONS);
    expect([...end.values()].reduce((a, b) => a + b, 0)).to.equal(stream.messages.length);
    sink = startSink('local', {
      TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap,
      TICKSTREAM_TOPIC_PREFIX: prefix,
      TICKSTREAM_LAKE: lake,
      TICKSTREAM_SINK_GROUP: group,
      // Small batches so that minutes are cut across files (partial bars) and dates across batches.
      TICKSTREAM_SINK_ROTATE_RECORDS: '2500',
      // The stream's tail never fills a batch: the wall-clock flush writes it.
      TICKSTREAM_SINK_FLUSH_INTERVAL_MS: '2000',
    });
    const exited = sink.exited();
    const t0 = Date.now();
    const step = (m: string): void => void (process.env.SINK_TEST_DEBUG && process.stderr.write(`${Date.now() - t0} ms ${m}\n`));
    await waitForCommitted(kafka, group, topics.ticks, end, 150_000, () => {
      if (sink!.child.exitCode !== null) throw new Error(`sink exited early:\n${sink!.log().slice(-3000)}`);
    });
    step('committed');
    await sink.kill('SIGTERM');
    step('stopped');
    expect(await exited, sink.log().slice(-2000)).to.equal(0);
    expect(sink.log()).to.contain('"msg":"sink stopped"');

    // DuckDB
    const lakeRows = await readLakeDuckDB(lake);
    expect(lakeRows.rows, 'rows in raw/ticks').to.equal(stream.ticks.length);
    expect(lakeRows.distinctPositions, 'distinct (kafka_partition, kafka_offset)').to.equal(stream.ticks.length);
    expect(lakeRows.misplaced, 'rows in the wrong dt folder').to.equal(0);
    const expectedDts = [...new Set(stream.ticks.map((t) => new Date(t.ts).toISOString().slice(0, 10)))].sort();
    expect(lakeRows.dts).to.deep.equal(expectedDts);
    expect(lakeRows.types).to.deep.include({
      symbol: 'VARCHAR',
      ts: 'TIMESTAMP WITH TIME ZONE',
      price: 'DOUBLE',
      volume: 'BIGINT',
      seq: 'BIGINT',
      kafka_partition: 'INTEGER',
      kafka_offset: 'BIGINT',
      kafka_ts: 'TIMESTAMP WITH TIME ZONE',
    });

    step('read by duckdb');
    // Each produced tick is in the lake at its own Kafka position, with its own values.
    const withPositions = await ticksWithPositions(kafka, topics.ticks, stream);
    let wrong = 0;
    for (const t of withPositions) {
      const row = lakeRows.rowsByPosition.get(`${t.partition}:${t.offset}`);
      if (!row || row.symbol !== t.symbol || row.ts !== t.ts || row.price !== t.price || row.volume !== t.volume || row.seq !== t.seq) wrong++;
    }
    expect(wrong, 'ticks missing from the lake or with other values').to.equal(0);

    // Bars: the lake's bars (merged across files) equal bars computed here from the ticks.
    const bars = expectedBars(withPositions);
    expect(barMismatches(lakeRows.bars, bars)).to.deep.equal([]);
    expect(lakeRows.barRows, 'some minutes must be split across files for the merge to be tested').to.be.greaterThan(bars.length);

    step('positions and bars');
    // pyarrow, an independent reader
    const py = readLakePyarrow(lake);
    expect(py.rows).to.equal(stream.ticks.length);
    expect(py.distinct).to.equal(stream.ticks.length);
    expect(py.dts).to.deep.equal(expectedDts);
    expect(py.schema).to.deep.include({
      symbol: 'string',
      ts: 'timestamp[ms, tz=UTC]',
      price: 'double',
      volume: 'int64',
      kafka_partition: 'int32',
      kafka_offset: 'int64',
      kafka_ts: 'timestamp[ms, tz=UTC]',
    });

    step('pyarrow');
    // Poison messages: in the DLQ with their origin, and not in the lake.
    const letters = await readDeadLetters(kafka, topics.dlq, stream.poison);
    expect(letters).to.have.length(stream.poison);
    for (const l of letters) {
      expect(l.reason).to.be.a('string').and.not.equal('');
      expect(lakeRows.positions.has(`${l.origin.partition}:${l.origin.offset}`)).to.equal(false);
      expect(l.origin.offset).to.be.below(end.get(l.origin.partition)!);
    }
  });
});
