/**
 * One-minute OHLCV bars (`processed/bars_1m`), derived from each raw file as it is written.
 *
 * Exactly-once for bars comes from the same place as for raw ticks: the bars of a batch are
 * a pure function of the batch's ticks and are written under the batch's deterministic name
 * (`naming.ts`) before its offsets are committed, so a replay rewrites the same object. No
 * state is carried between batches, so there is nothing to lose in a crash.
 *
 * The price of statelessness: a minute whose ticks fall into two batches (a rotation inside
 * the minute) has one partial bar in each batch's file. The partial rows carry the event time
 * of their opening and closing tick and their lineage (partition, batch offset), which is
 * exactly what a reader needs to merge them without loss: high = max, low = min, volume and
 * trades = sums, vwap = volume-weighted mean of the partial vwaps, open = the open of the
 * partial whose opening tick comes first in (ts, partition, offset) order, close likewise.
 * `barsMergeSql` is that merge; readers use it (or a view built on it) instead of the raw
 * table. Ticks of one symbol share a Kafka partition (key = symbol), so two partitions never
 * contribute to one bar unless the topic's partition count changed.
 */
import type { Columns } from './format/parquet.js';
import type { TickColumns } from './tick-columns.js';

export const MINUTE_MS = 60_000;

/**
 * Bars of the rows `sorted` (indices into `ticks`, ordered by symbol, ts, offset), for the
 * partition and batch they came from. One pass: a bar ends where the symbol or minute changes.
 */
export function minuteBars(ticks: TickColumns, sorted: Int32Array, partition: number, batchOffset: number): Columns {
  const cap = sorted.length;
  const symbol = new Int32Array(cap);
  const barStart = new Float64Array(cap);
  const open = new Float64Array(cap);
  const high = new Float64Array(cap);
  const low = new Float64Array(cap);
  const close = new Float64Array(cap);
  const volume = new Float64Array(cap);
  const trades = new Float64Array(cap);
  const vwap = new Float64Array(cap);
  const openTs = new Float64Array(cap);
  const closeTs = new Float64Array(cap);
  let n = 0;
  let notional = 0;
  let lastSymbol = -2;
  let lastMinute = NaN;
  for (let k = 0; k < sorted.length; k++) {
    const r = sorted[k]!;
    const sym = ticks.symbol[r]!;
    const ts = ticks.ts[r]!;
    const price = ticks.price[r]!;
    const vol = ticks.volume[r]!;
    const minute = Math.floor(ts / MINUTE_MS) * MINUTE_MS;
    if (sym !== lastSymbol || minute !== lastMinute) {
      if (n > 0) vwap[n - 1] = volume[n - 1]! > 0 ? notional / volume[n - 1]! : NaN;
      const b = n++;
      symbol[b] = sym;
      barStart[b] = minute;
      open[b] = price;
      high[b] = price;
      low[b] = price;
      openTs[b] = ts;
      notional = 0;
      lastSymbol = sym;
      lastMinute = minute;
    }
    const b = n - 1;
    if (price > high[b]!) high[b] = price;
    if (price < low[b]!) low[b] = price;
    close[b] = price;
    closeTs[b] = ts;
    volume[b]! += vol;
    trades[b]! += 1;
    notional += price * vol;
  }
  if (n > 0) vwap[n - 1] = volume[n - 1]! > 0 ? notional / volume[n - 1]! : NaN;
  const cut = (a: Float64Array): { kind: 'number'; values: Float64Array } => ({ kind: 'number', values: a.subarray(0, n) });
  return {
    length: n,
    columns: {
      symbol: { kind: 'string', ids: symbol.subarray(0, n), dict: ticks.dict },
      bar_start: cut(barStart),
      open: cut(open),
      high: cut(high),
      low: cut(low),
      close: cut(close),
      volume: cut(volume),
      trades: cut(trades),
      vwap: cut(vwap),
      open_ts: cut(openTs),
      close_ts: cut(closeTs),
      kafka_partition: { kind: 'const', value: partition },
      batch_offset: { kind: 'const', value: batchOffset },
    },
  };
}

/**
 * SQL (runs unchanged on DuckDB and on Athena/Trino) that merges the partial rows of
 * `bars_1m` into one row per symbol and minute. `source` is a table name or a table
 * expression such as DuckDB's `read_parquet('lake/processed/bars_1m/*\/*.parquet', hive_partitioning = true)`.
 * A bar that lies in one file passes through unchanged (its vwap is not recomputed).
 */
export function barsMergeSql(source: string): string {
  return `WITH parts AS (
  SELECT symbol, bar_start, open, high, low, close, volume, trades, vwap,
    row_number() OVER (PARTITION BY symbol, bar_start ORDER BY open_ts, kafka_partition, batch_offset) AS open_rank,
    row_number() OVER (PARTITION BY symbol, bar_start ORDER BY close_ts DESC, kafka_partition DESC, batch_offset DESC) AS close_rank
  FROM ${source}
)
SELECT symbol, bar_start,
  max(CASE WHEN open_rank = 1 THEN open END) AS open,
  max(high) AS high,
  min(low) AS low,
  max(CASE WHEN close_rank = 1 THEN close END) AS close,
  CAST(sum(volume) AS BIGINT) AS volume,
  CAST(sum(trades) AS BIGINT) AS trades,
  CASE WHEN count(*) = 1 THEN max(vwap) ELSE sum(vwap * volume) / nullif(sum(volume), 0) END AS vwap
FROM parts
GROUP BY symbol, bar_start`;
}
