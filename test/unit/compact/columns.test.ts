import { expect } from 'chai';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { concatColumns, decodeFile, sortOrder } from '../../../compact/columns.js';
import { encodeColumns, encodeParquet, sortRows, type LakeRow } from '../../../consumer/format/parquet.js';
import { BARS_1M, RAW_TICKS, type LakeTable } from '../../../lib/lake.js';

function tick(symbol: string, ts: number, offset: number, exchange: string | null = 'NYSE'): LakeRow {
  return { symbol, ts, price: 10 + offset / 8, volume: offset, exchange, currency: 'USD', source: 'csv', seq: offset, kafka_partition: offset % 3, kafka_offset: offset, kafka_ts: ts + 5 };
}

/** The rows of a Parquet file as plain objects (numbers for int64 and timestamps). */
function rowsOf(bytes: Uint8Array): LakeRow[] {
  const t = tableFromIPC(readParquet(bytes).intoIPCStream());
  return t.toArray().map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : (v as string | number | null)])));
}

describe('compaction: files back into columns, merged and sorted', () => {
  it('merges files into one file with the same rows, in the table\'s sort order, as the sink writes them', () => {
    const a = [tick('ZZ', 3000, 7), tick('AA', 2000, 2, null), tick('AA', 1000, 1)];
    const b = [tick('MM', 1500, 4), tick('AA', 1000, 0), tick('ZZ', 100, 9)];
    const merged = concatColumns(RAW_TICKS, [decodeFile(RAW_TICKS, encodeParquet(RAW_TICKS, a), 'a'), decodeFile(RAW_TICKS, encodeParquet(RAW_TICKS, b), 'b')]);
    expect(merged.length).to.equal(6);
    const out = encodeColumns(RAW_TICKS, merged, sortOrder(RAW_TICKS, merged));
    // Same bytes as the sink's encoder gives for the same rows sorted: nothing lost, nothing changed.
    expect(Buffer.from(out).equals(Buffer.from(encodeParquet(RAW_TICKS, [...a, ...b])))).to.equal(true);
    expect(rowsOf(out)).to.deep.equal(sortRows(RAW_TICKS, [...a, ...b]));
  });

  it('reads a missing nullable column as nulls (older bars files), and refuses a missing required one', () => {
    const older: LakeTable = { ...BARS_1M, columns: BARS_1M.columns.filter((c) => !['open_ts', 'close_ts', 'kafka_partition', 'batch_offset'].includes(c.name)) };
    const bar = { symbol: 'AA', bar_start: 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, trades: 2, vwap: 1.2 };
    const cols = decodeFile(BARS_1M, encodeParquet(older, [bar]), 'old.parquet');
    expect(cols.columns.open_ts).to.deep.equal({ kind: 'const', value: null });
    const out = encodeColumns(BARS_1M, concatColumns(BARS_1M, [cols]));
    expect(rowsOf(out)).to.deep.equal([{ ...bar, open_ts: null, close_ts: null, kafka_partition: null, batch_offset: null }]);

    const noPrice: LakeTable = { ...RAW_TICKS, columns: RAW_TICKS.columns.filter((c) => c.name !== 'price') };
    expect(() => decodeFile(RAW_TICKS, encodeParquet(noPrice, [tick('AA', 1, 1)]), 'lake/raw/ticks/dt=x/t.parquet')).to.throw(
      'lake/raw/ticks/dt=x/t.parquet has no column price, which ticks requires',
    );
  });

  it('names an unreadable file and a file whose column has another type', () => {
    const good = encodeParquet(RAW_TICKS, [tick('AA', 1, 1)]);
    expect(() => decodeFile(RAW_TICKS, good.subarray(0, good.length - 9), 'lake/t.parquet')).to.throw(/^lake\/t\.parquet is not a readable Parquet file/);
    expect(() => decodeFile(RAW_TICKS, Buffer.from('not parquet at all'), 'x.parquet')).to.throw(/^x\.parquet is not a readable Parquet file/);
    const asText: LakeTable = { ...RAW_TICKS, columns: RAW_TICKS.columns.map((c) => (c.name === 'volume' ? { ...c, type: 'string' as const } : c)) };
    expect(() => decodeFile(RAW_TICKS, encodeParquet(asText, [{ ...tick('AA', 1, 1), volume: 'many' }]), 'y.parquet')).to.throw(/^y\.parquet: column volume is Utf8, ticks declares int64/);
  });
});
