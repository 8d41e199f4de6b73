/**
 * Bars from partial files merge to the bars of all ticks: the sink's per-batch bars,
 * written as Parquet and merged by `barsMergeSql` in DuckDB, equal bars computed directly
 * from the ticks, whatever the batch boundaries (ticks out of order and timestamp ties included).
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BARS_1M, RAW_TICKS } from '../../../lib/lake.js';
import { barsMergeSql, minuteBars } from '../../../consumer/bars.js';
import { encodeColumns, encodeParquet } from '../../../consumer/format/parquet.js';
import { TickColumns } from '../../../consumer/tick-columns.js';
import { referenceBars } from './reference-bars.js';
import { duckdbRows as query } from '../../support/duckdb.js';

interface T {
  symbol: string;
  ts: number;
  price: number;
  volume: number;
  offset: number;
}


describe('bars_1m', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tickstream-bars-'));
    mkdirSync(join(dir, 'bars'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('partial bars of arbitrary batches merge to the bars of all ticks', async () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const t0 = Date.UTC(2024, 4, 6, 14, 30);
    const ticks: T[] = [];
    for (let i = 0; i < 3000; i++) {
      const ts = t0 + Math.floor(rnd() * 20) * 30_000 + (rnd() < 0.2 ? 0 : Math.floor(rnd() * 30_000)); // ties and disorder
      ticks.push({ symbol: ['AAA', 'BBB', 'CC'][i % 3]!, ts, price: Math.round(rnd() * 10_000) / 100 + 1, volume: rnd() < 0.05 ? 0 : Math.floor(rnd() * 500), offset: i });
    }
    // Five batches with uneven cuts, as rotation would make them.
    const cuts = [0, 211, 1000, 1003, 2400, 3000];
    for (let b = 0; b + 1 < cuts.length; b++) {
      const cols = new TickColumns();
      for (const t of ticks.slice(cuts[b], cuts[b + 1])) cols.append(t, t.offset, t.ts);
      const rows = Int32Array.from({ length: cols.length }, (_, i) => i);
      const bars = minuteBars(cols, cols.sortedOrder(rows), 0, cuts[b]!);
      writeFileSync(join(dir, 'bars', `b${b}.parquet`), encodeColumns(BARS_1M, bars));
    }
    const got = await query(
      `SELECT symbol, epoch_ms(bar_start) AS bar_start, open, high, low, close, volume, trades, vwap FROM (${barsMergeSql(`read_parquet('${dir}/bars/*.parquet')`)}) ORDER BY symbol, bar_start`,
    );
    const want = referenceBars(ticks.map((t) => ({ ...t, partition: 0 })));
    expect(got.length).to.equal(want.length);
    const partialRows = Number((await query(`SELECT count(*) AS n FROM read_parquet('${dir}/bars/*.parquet')`))[0]!.n);
    expect(partialRows).to.be.greaterThan(want.length);
    got.forEach((g, i) => {
      const w = want[i]!;
      expect({ ...g, bar_start: Number(g.bar_start), volume: Number(g.volume), trades: Number(g.trades), vwap: null }).to.deep.equal({ ...w, vwap: null });
      if (w.vwap === null) expect(g.vwap).to.equal(null);
      else expect(g.vwap as number).to.be.closeTo(w.vwap, 1e-9 * w.vwap);
    });
  });

  it('a bar within one file passes the merge unchanged', async () => {
    writeFileSync(
      join(dir, 'bars', 'one.parquet'),
      encodeParquet(BARS_1M, [{ symbol: 'A', bar_start: 60_000, open: 1, high: 3, low: 0.5, close: 2, volume: 7, trades: 3, vwap: 1.7000000000000002 }]),
    );
    const [row] = await query(`SELECT vwap, open_ts FROM (${barsMergeSql(`read_parquet('${dir}/bars/*.parquet')`)}) m, (SELECT open_ts FROM read_parquet('${dir}/bars/*.parquet'))`);
    expect(row).to.deep.include({ vwap: 1.7000000000000002, open_ts: null });
  });
});

describe('parquet format', () => {
  it('writes the design types, nulls and the sort order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-pq-'));
    try {
      const rows = [
        { symbol: 'B', ts: 2000, price: 1.5, volume: 2 ** 40, kafka_partition: 1, kafka_offset: 9, kafka_ts: 3000, seq: null },
        { symbol: 'A', ts: -86_400_000, price: 2.5, volume: 0, exchange: 'X', kafka_partition: 1, kafka_offset: 8, kafka_ts: 3000, seq: 4 },
      ];
      writeFileSync(join(dir, 't.parquet'), encodeParquet(RAW_TICKS, rows));
      const types = await query(`DESCRIBE SELECT * FROM read_parquet('${dir}/t.parquet')`);
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).to.deep.equal({
        symbol: 'VARCHAR',
        ts: 'TIMESTAMP WITH TIME ZONE',
        price: 'DOUBLE',
        volume: 'BIGINT',
        exchange: 'VARCHAR',
        currency: 'VARCHAR',
        source: 'VARCHAR',
        seq: 'BIGINT',
        kafka_partition: 'INTEGER',
        kafka_offset: 'BIGINT',
        kafka_ts: 'TIMESTAMP WITH TIME ZONE',
      });
      const got = await query(`SELECT symbol, epoch_ms(ts) AS ts, volume, exchange, seq FROM read_parquet('${dir}/t.parquet')`);
      expect(got.map((r) => [r.symbol, Number(r.ts), Number(r.volume), r.exchange, r.seq === null ? null : Number(r.seq)])).to.deep.equal([
        ['A', -86_400_000, 0, 'X', 4],
        ['B', 2000, 2 ** 40, null, null],
      ]);
      expect(() => encodeParquet(RAW_TICKS, [{ ...rows[0], symbol: null }])).to.throw(/symbol is not nullable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
