/**
 * The lake's contract: table locations, Hive-style `dt=` partitions and the columns of
 * each table. The sink writes it, the catalog and the queries read it, and the AWS Glue
 * table definitions declare it; keeping it in one place keeps the three in agreement.
 *
 *   <root>/raw/ticks/dt=<partition value>/<file>.parquet
 *   <root>/processed/bars_1m/dt=<partition value>/<file>.parquet
 *
 * The partition value is the UTC event time cut to the lake's partitioning (a deployment
 * setting, `lake.partitioning`): `day` -> `dt=2024-01-02`, `month` -> `dt=2024-01`,
 * `year` -> `dt=2024`. Day suits intraday ticks (a query by date reads one folder); month or
 * year suits decades of daily bars, where day partitions would hold a few KB each.
 * The three shapes sort as strings in time order and `2024` < `2024-01` < `2024-01-02`, so
 * `dt >= value(from) AND dt <= value(to)` prunes under any of them (see `dtRange`).
 *
 * `<root>` is a folder locally or `s3://bucket/prefix` on AWS; keys below it are the same.
 */

export type LakeColumnType = 'string' | 'timestamp_ms' | 'double' | 'int64' | 'int32';

export interface LakeColumn {
  readonly name: string;
  readonly type: LakeColumnType;
  readonly nullable: boolean;
  readonly doc: string;
}

export interface LakeTable {
  /** Catalog name (Glue / DuckDB view). */
  readonly name: string;
  /** Key prefix below the lake root. */
  readonly prefix: string;
  readonly columns: readonly LakeColumn[];
  /** Hive partition column, not stored in the files. */
  readonly partitionColumn: 'dt';
  /** Row order inside every file: deterministic, so a rewrite produces the same bytes. */
  readonly sortKeys: readonly string[];
}

export const RAW_TICKS: LakeTable = {
  name: 'ticks',
  prefix: 'raw/ticks',
  partitionColumn: 'dt',
  sortKeys: ['symbol', 'ts', 'kafka_partition', 'kafka_offset'],
  columns: [
    { name: 'symbol', type: 'string', nullable: false, doc: 'instrument symbol' },
    { name: 'ts', type: 'timestamp_ms', nullable: false, doc: 'event time, UTC' },
    { name: 'price', type: 'double', nullable: false, doc: 'trade price' },
    { name: 'volume', type: 'int64', nullable: false, doc: 'traded quantity' },
    { name: 'exchange', type: 'string', nullable: true, doc: 'exchange, when known' },
    { name: 'currency', type: 'string', nullable: true, doc: 'price currency, when known' },
    { name: 'source', type: 'string', nullable: true, doc: 'csv, sim, ...' },
    { name: 'seq', type: 'int64', nullable: true, doc: 'per-symbol sequence from the producer' },
    // Lineage: where in Kafka the row came from. Makes exactly-once checkable (no two rows
    // share a partition and offset) and lets a reader find the message of any row.
    { name: 'kafka_partition', type: 'int32', nullable: false, doc: 'Kafka partition of the message' },
    { name: 'kafka_offset', type: 'int64', nullable: false, doc: 'Kafka offset of the message' },
    { name: 'kafka_ts', type: 'timestamp_ms', nullable: false, doc: 'Kafka message timestamp (arrival at the broker)' },
  ],
};

export const BARS_1M: LakeTable = {
  name: 'bars_1m',
  prefix: 'processed/bars_1m',
  partitionColumn: 'dt',
  sortKeys: ['symbol', 'bar_start'],
  columns: [
    { name: 'symbol', type: 'string', nullable: false, doc: 'instrument symbol' },
    { name: 'bar_start', type: 'timestamp_ms', nullable: false, doc: 'start of the minute, UTC' },
    { name: 'open', type: 'double', nullable: false, doc: 'first price in the minute' },
    { name: 'high', type: 'double', nullable: false, doc: 'highest price' },
    { name: 'low', type: 'double', nullable: false, doc: 'lowest price' },
    { name: 'close', type: 'double', nullable: false, doc: 'last price in the minute' },
    { name: 'volume', type: 'int64', nullable: false, doc: 'sum of volume' },
    { name: 'trades', type: 'int64', nullable: false, doc: 'number of ticks' },
    { name: 'vwap', type: 'double', nullable: true, doc: 'volume-weighted average price (null when volume is 0)' },
    // Added by the sink (nullable, so files without them stay valid). The sink writes the bars
    // of each raw file beside it; a minute whose ticks fall into two raw files has one partial
    // row in each, and these columns let a reader merge them exactly (docs/sink.md, the
    // bars_1m merge query): open/close come from the partial whose first/last tick is earliest/latest.
    { name: 'open_ts', type: 'timestamp_ms', nullable: true, doc: 'event time of the opening tick' },
    { name: 'close_ts', type: 'timestamp_ms', nullable: true, doc: 'event time of the closing tick' },
    { name: 'kafka_partition', type: 'int32', nullable: true, doc: 'Kafka partition of the ticks (lineage)' },
    { name: 'batch_offset', type: 'int64', nullable: true, doc: 'first Kafka offset of the ticks the bar was computed from: the raw file\'s, or of the chunk of it after the first (lineage; orders partial bars)' },
  ],
};

export const LAKE_TABLES: readonly LakeTable[] = [RAW_TICKS, BARS_1M];

// ---------------------------------------------------------------------------------------
// Time partitioning. The one place that turns event time into a `dt` value and back; the
// sink, the catalogs, the query filters, the Glue projection and the compactor all use it.

export const PARTITIONINGS = ['day', 'month', 'year'] as const;
/** How coarse the `dt` partitions are. */
export type Partitioning = (typeof PARTITIONINGS)[number];
export const DEFAULT_PARTITIONING: Partitioning = 'day';

/** Length of the `dt` value of each partitioning (`2024-01-02`, `2024-01`, `2024`). */
const VALUE_LENGTH: Readonly<Record<Partitioning, number>> = { day: 10, month: 7, year: 4 };

/** Glue partition projection of each partitioning (Java date format and interval unit). */
export const PROJECTION: Readonly<Record<Partitioning, { readonly format: string; readonly unit: 'DAYS' | 'MONTHS' | 'YEARS' }>> = {
  day: { format: 'yyyy-MM-dd', unit: 'DAYS' },
  month: { format: 'yyyy-MM', unit: 'MONTHS' },
  year: { format: 'yyyy', unit: 'YEARS' },
};

export function isPartitioning(value: unknown): value is Partitioning {
  return typeof value === 'string' && (PARTITIONINGS as readonly string[]).includes(value);
}

/**
 * The `dt` value of the partition an event time falls in: `2024-01-02`, `2024-01` or `2024`.
 * Years 0000-9999 only: the value must stay a fixed-width string to sort and to match the
 * Glue projection.
 */
export function partitionValue(partitioning: Partitioning, ts: number): string {
  if (!Number.isFinite(ts)) throw new Error(`not an event time: ${ts}`);
  const iso = new Date(ts).toISOString();
  if (!/^\d{4}-/.test(iso)) throw new Error(`event time outside years 0000-9999: ${iso}`);
  return iso.slice(0, VALUE_LENGTH[partitioning]);
}

/** Start (inclusive, epoch ms UTC) of the partition an event time falls in. */
export function partitionStart(partitioning: Partitioning, ts: number): number {
  const d = new Date(ts);
  const y = d.getUTCFullYear();
  switch (partitioning) {
    case 'day':
      return Math.floor(ts / 86_400_000) * 86_400_000;
    case 'month':
      return utc(y, d.getUTCMonth(), 1);
    case 'year':
      return utc(y, 0, 1);
  }
}

/** End (exclusive, epoch ms UTC) of the partition an event time falls in: the next one's start. */
export function partitionEnd(partitioning: Partitioning, ts: number): number {
  const d = new Date(ts);
  const y = d.getUTCFullYear();
  switch (partitioning) {
    case 'day':
      return (Math.floor(ts / 86_400_000) + 1) * 86_400_000;
    case 'month':
      return utc(y, d.getUTCMonth() + 1, 1);
    case 'year':
      return utc(y + 1, 0, 1);
  }
}

/** `Date.UTC` without its mapping of years 0-99 to 1900-1999. */
function utc(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime();
}

/** One partition: its value, its partitioning and the event times it holds, [start, end). */
export interface PartitionSpan {
  readonly value: string;
  readonly partitioning: Partitioning;
  readonly start: number;
  readonly end: number;
}

/**
 * Parses a `dt` value of any partitioning (told apart by its shape), or null if it is not
 * one: `2024-01-02` (a real date), `2024-01` (month 01-12) or `2024`.
 */
export function parsePartitionValue(value: string): PartitionSpan | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  if (m[3] !== undefined) {
    const start = utc(year, Number(m[2]) - 1, Number(m[3]));
    if (partitionValue('day', start) !== value) return null; // 2024-02-30 and the like
    return { value, partitioning: 'day', start, end: start + 86_400_000 };
  }
  if (m[2] !== undefined) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) return null;
    return { value, partitioning: 'month', start: utc(year, month - 1, 1), end: utc(year, month, 1) };
  }
  return { value, partitioning: 'year', start: utc(year, 0, 1), end: utc(year + 1, 0, 1) };
}

/** The partitioning a `dt` value was written under, or null if it is not a `dt` value. */
export function partitioningOf(value: string): Partitioning | null {
  return parsePartitionValue(value)?.partitioning ?? null;
}

/**
 * The `dt` values bounding a date range, for a partition filter that works under every
 * partitioning: rows of `from`..`to` (dates `YYYY-MM-DD`, both inclusive) lie in partitions
 * `dt >= from' AND dt <= to'`, where `from'`/`to'` are the dates cut to the partitioning.
 * The filter is coarse (a year partition holds the whole year); the query still filters on
 * the event time for the exact range.
 */
export function dtRange(partitioning: Partitioning, from: string, to: string): { readonly from: string; readonly to: string } {
  for (const d of [from, to]) {
    if (parsePartitionValue(d)?.partitioning !== 'day') throw new Error(`not a date (YYYY-MM-DD): ${d}`);
  }
  const n = VALUE_LENGTH[partitioning];
  return { from: from.slice(0, n), to: to.slice(0, n) };
}

/** `raw/ticks/dt=2021-01-04` (or `dt=2021-01`, `dt=2021`) */
export function partitionPrefix(table: LakeTable, dt: string): string {
  if (!parsePartitionValue(dt)) throw new Error(`not a dt partition value: ${dt}`);
  return `${table.prefix}/dt=${dt}`;
}

/** Parses `.../dt=2021-01-04/...` (or `dt=2021-01`, `dt=2021`) back to the value, or null. */
export function dtOfKey(key: string): string | null {
  const v = /(?:^|\/)dt=(\d{4}(?:-\d{2}){0,2})(?:\/|$)/.exec(key)?.[1];
  return v !== undefined && parsePartitionValue(v) ? v : null;
}

/** Athena/Glue (Hive) type names of the columns. */
export function hiveType(type: LakeColumnType): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'timestamp_ms':
      return 'timestamp';
    case 'double':
      return 'double';
    case 'int64':
      return 'bigint';
    case 'int32':
      return 'int';
  }
}
