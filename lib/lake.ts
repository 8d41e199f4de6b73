/**
 * The lake's contract: table locations, Hive-style `dt=` partitions and the columns of
 * each table. The sink writes it, the catalog and the queries read it, and the AWS Glue
 * table definitions declare it; keeping it in one place keeps the three in agreement.
 *
 *   <root>/raw/ticks/dt=YYYY-MM-DD/<file>.parquet
 *   <root>/processed/bars_1m/dt=YYYY-MM-DD/<file>.parquet
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
    { name: 'batch_offset', type: 'int64', nullable: true, doc: 'first Kafka offset of the raw file the bar was computed from (lineage)' },
  ],
};

export const LAKE_TABLES: readonly LakeTable[] = [RAW_TICKS, BARS_1M];

/** `YYYY-MM-DD` of an epoch-millisecond time, in UTC. */
export function eventDate(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** `raw/ticks/dt=2021-01-04` */
export function partitionPrefix(table: LakeTable, dt: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(dt)) throw new Error(`not a dt partition value: ${dt}`);
  return `${table.prefix}/dt=${dt}`;
}

/** Parses `.../dt=2021-01-04/...` back to the date, or null. */
export function dtOfKey(key: string): string | null {
  return /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})(?:\/|$)/.exec(key)?.[1] ?? null;
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
