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
import { waitFor } from '../../../lib/async.js';
import { bindParams } from '../../../analytics/params.js';
import { findQuery } from '../../../analytics/query-catalog.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import {
  barMismatches,
  committedOffsets,
  createTopics,
  endOffsets,
  expectedBars,
  logRecords,
  metric,
  metricsPort,
  readDeadLetters,
  readLakeDuckDB,
  readLakePyarrow,
  scrape,
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
      TICKSTREAM_SINK_SPILL_ROWS: '1000',
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

/**
 * A year-partitioned lake (TICKSTREAM_LAKE_PARTITIONING=year), as the docs recommend for
 * replayed history: three years of ticks land in `dt=YYYY` folders, and a batch closes only
 * when a Kafka partition's ticks move into the next year (never because event time moved on
 * inside the year; the wall-clock flushes are off here, so every cut is the data's). The
 * named queries read it with DuckDB.
 */
describe('sink: Kafka to a year-partitioned lake', function () {
  this.timeout(240_000);
  const kafka = sharedKafka();
  const prefix = `sinkyr-${process.pid}-${Date.now()}.`;
  const group = `${prefix}group`;
  const lake = mkdtempSync(join(tmpdir(), 'tickstream-sink-lake-year-'));
  // 17 symbols over ~3 years from 2022-12-20: four calendar years, a few hundred ticks a month.
  const stream = tickStream(12_000, { days: 3 * 365, start: Date.UTC(2022, 11, 20, 21, 0) });
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

  it('writes dt=YYYY folders, one batch per Kafka partition and year, every tick exactly once, and the named queries read them', async () => {
    const end = await endOffsets(kafka, topics.ticks, PARTITIONS);
    const positioned = await ticksWithPositions(kafka, topics.ticks, stream);
    const year = (ts: number): number => new Date(ts).getUTCFullYear();
    // The rule, stated independently of the sink's code: per Kafka partition, in offset
    // order, a tick of a later year than any in the open batch starts a new batch; a
    // batch writes one file per year it holds.
    let expectedFiles = 0;
    const lastBatchStart = new Map<number, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const ticks = positioned.filter((t) => t.partition === p).sort((a, b) => a.offset - b.offset);
      let years = new Set<number>();
      let latest = -Infinity;
      for (const t of ticks) {
        if (years.size > 0 && year(t.ts) > latest) {
          expectedFiles += years.size;
          years = new Set();
          lastBatchStart.set(p, t.offset);
        }
        years.add(year(t.ts));
        latest = Math.max(latest, year(t.ts));
      }
      expectedFiles += years.size;
    }
    sink = startSink('local-year', {
      TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap,
      TICKSTREAM_TOPIC_PREFIX: prefix,
      TICKSTREAM_LAKE: lake,
      TICKSTREAM_LAKE_PARTITIONING: 'year',
      TICKSTREAM_SINK_GROUP: group,
      TICKSTREAM_SINK_FLUSH_INTERVAL_MS: '0',
      TICKSTREAM_SINK_IDLE_FLUSH_MS: '0',
      // Debug: "batch committed" lines, for the story a failed offset check tells.
      TICKSTREAM_LOG_LEVEL: 'debug',
      // Its own count of messages read tells when the last batches are whole (below).
      TICKSTREAM_SINK_METRICS: 'true',
      TICKSTREAM_SINK_METRICS_PORT: '0',
    });
    const exited = sink.exited();
    // Every batch but the last of each partition closes on a year change and is committed;
    // the last one stays open (no wall-clock flush) until the finishing shutdown writes it.
    await waitForCommitted(kafka, group, topics.ticks, lastBatchStart, 150_000, () => {
      if (sink!.child.exitCode !== null) throw new Error(`sink exited early:\n${sink!.log().slice(-3000)}`);
    });
    // A commit at a last batch's start says the batch began, not that every message of it
    // was read: a stop before the rest is fetched writes the part read, correctly, and the
    // group stays short of the end (seen in CI). So stop only once the sink has read all.
    const total = [...end.values()].reduce((a, b) => a + b, 0);
    let read = -1;
    const readAll = await waitFor(async () => {
      if (sink!.child.exitCode !== null) throw new Error(`sink exited early:\n${sink!.log().slice(-3000)}`);
      const port = metricsPort(sink!);
      if (port !== undefined) read = metric((await scrape(port)).text, 'tickstream_sink_records_total');
      return read >= total;
    }, 150_000);
    expect(readAll, `the sink read ${read} of ${total} messages in 150 s:\n${sink.log().slice(-3000)}`).to.equal(true);
    await sink.kill('SIGTERM');
    expect(await exited, sink.log().slice(-2000)).to.equal(0);
    // On a mismatch, say how the stop went and what was committed when (the log is gone after the run).
    const stopStory = (): string =>
      ['sink stopping', 'sink stopped', 'batch committed', 'partitions assigned', 'partitions revoked', 'shutdown timed out', 'retrying']
        .flatMap((m) => logRecords(sink!, m).map((r) => JSON.stringify(r)))
        .slice(-60)
        .join('\n');
    expect(await committedOffsets(kafka, group, topics.ticks, PARTITIONS), `last batch starts ${JSON.stringify([...lastBatchStart])}\n${stopStory()}`).to.deep.equal(end);

    const lakeRows = await readLakeDuckDB(lake);
    expect(lakeRows.rows, 'rows in raw/ticks').to.equal(stream.ticks.length);
    expect(lakeRows.distinctPositions, 'distinct (kafka_partition, kafka_offset)').to.equal(stream.ticks.length);
    expect(lakeRows.misplaced, 'rows in the wrong dt=YYYY folder').to.equal(0);
    expect(lakeRows.dts).to.deep.equal(['2022', '2023', '2024', '2025']);
    expect(lakeRows.files, 'raw files: one per batch and year').to.equal(expectedFiles);
    expect(expectedFiles).to.be.at.most(PARTITIONS * 4 * 2);
    const started = logRecords(sink, 'sink started');
    expect(started[0]?.partitioning).to.equal('year');

    // The named queries over that lake: a window inside two year partitions.
    const runner = await DuckDbRunner.open({ lake });
    try {
      const query = findQuery('ohlcv');
      const w = { from: '2023-11-15', to: '2024-02-10' };
      const result = await runner.run(query, bindParams('ohlcv', query.params, { ...w, interval: '1d' }));
      const inWindow = stream.ticks.filter((t) => {
        const d = new Date(t.ts).toISOString().slice(0, 10);
        return d >= w.from && d <= w.to;
      });
      expect(result.rows.reduce((s, r) => s + Number(r.trades), 0)).to.equal(inWindow.length);
      expect(new Set(result.rows.map((r) => String(r.bar_start).slice(0, 10) >= w.from && String(r.bar_start).slice(0, 10) <= w.to))).to.deep.equal(new Set([true]));
    } finally {
      await runner.close();
    }
  });
});
