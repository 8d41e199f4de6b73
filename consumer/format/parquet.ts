/**
 * The Parquet format of the lake: rows of a `LakeTable` in, file bytes out.
 *
 * Built on Apache Arrow JS (columns) and parquet-wasm (arrow-rs's Parquet writer compiled
 * to WebAssembly), because arrow-rs writes exactly the physical and logical types the
 * design asks for and both Athena v3 and DuckDB read them:
 *   string        -> BYTE_ARRAY, logical STRING
 *   timestamp_ms  -> INT64, logical TIMESTAMP(MILLIS, isAdjustedToUTC=true)
 *   double        -> DOUBLE
 *   int64 / int32 -> INT64 / INT32
 * Snappy compression, statistics on (so engines can skip row groups by symbol and time).
 *
 * Rows are sorted by the table's sort keys before writing; with fixed writer settings the
 * same rows always give the same bytes, which keeps a replayed file identical.
 */
import {
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
  tableToIPC,
  type Data,
  type DataType,
} from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, WriterVersion, writeParquet } from 'parquet-wasm';
import type { LakeColumn, LakeTable } from '../../lib/lake.js';

/** One row as a plain object keyed by column name; timestamps as epoch milliseconds. */
export type LakeRow = Record<string, string | number | null | undefined>;

/** Rows per row group: large enough for good compression, small enough to bound writer memory. */
const MAX_ROW_GROUP_ROWS = 128 * 1024;

export function encodeParquet(table: LakeTable, rows: readonly LakeRow[]): Uint8Array {
  const sorted = sortRows(table, rows);
  const fields: Field[] = [];
  const columns: Data[] = [];
  for (const column of table.columns) {
    const type = arrowType(column);
    fields.push(new Field(column.name, type, column.nullable));
    columns.push(columnData(column, type, sorted));
  }
  // One record batch with the declared schema (nullability included), not one inferred from data.
  const schema = new Schema(fields);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: sorted.length, nullCount: 0, children: columns }));
  const wasmTable = WasmTable.fromIPCStream(tableToIPC(new Table(schema, [batch]), 'stream'));
  let props = new WriterPropertiesBuilder()
    .setCompression(Compression.SNAPPY)
    .setWriterVersion(WriterVersion.V1)
    .setMaxRowGroupSize(MAX_ROW_GROUP_ROWS)
    .setCreatedBy('tickstream');
  // Dictionary encoding pays for low-cardinality columns (symbol, exchange, partition) and
  // costs several times the write time on unique ones (prices, times, offsets).
  for (const column of table.columns) {
    props = props.setColumnDictionaryEnabled(column.name, column.type === 'string' || column.type === 'int32');
  }
  return writeParquet(wasmTable, props.build());
}

export function sortRows(table: LakeTable, rows: readonly LakeRow[]): LakeRow[] {
  const keys = table.sortKeys;
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const x = a[k];
      const y = b[k];
      if (x === y) continue;
      if (x === null || x === undefined) return -1;
      if (y === null || y === undefined) return 1;
      return x < y ? -1 : 1;
    }
    return 0;
  });
}

function arrowType(column: LakeColumn): DataType {
  switch (column.type) {
    case 'string':
      return new Utf8();
    case 'timestamp_ms':
      return new TimestampMillisecond('UTC');
    case 'double':
      return new Float64();
    case 'int64':
      return new Int64();
    case 'int32':
      return new Int32();
  }
}

function columnData(column: LakeColumn, type: DataType, rows: readonly LakeRow[]): Data {
  const n = rows.length;
  const values = rows.map((r) => r[column.name]);
  for (let i = 0; i < n && !column.nullable; i++) {
    if (values[i] === null || values[i] === undefined) {
      throw new Error(`column ${column.name} is not nullable but row ${i} has no value`);
    }
  }
  const { nullBitmap, nullCount } = validity(values);
  if (column.type === 'string') return utf8Data(type as Utf8, values, nullBitmap, nullCount);
  let data: BigInt64Array | Float64Array | Int32Array;
  if (column.type === 'double') {
    data = Float64Array.from(values, (v) => (typeof v === 'number' ? v : 0));
  } else if (column.type === 'int32') {
    data = Int32Array.from(values, (v) => (typeof v === 'number' ? v : 0));
  } else {
    data = int64Array(values);
  }
  return makeData({ type: type as Int64, length: n, nullCount, ...(nullCount > 0 ? { nullBitmap } : {}), data: data as BigInt64Array });
}

/**
 * Numbers (exact up to 2^53) into a little-endian int64 buffer by 32-bit halves: the same
 * bits as BigInt64Array.from(values, BigInt) without allocating a BigInt per value.
 */
function int64Array(values: readonly unknown[]): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const lo = new Uint32Array(out.buffer);
  const hi = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = typeof v === 'number' ? Math.trunc(v) : 0;
    const high = Math.floor(n / 4294967296);
    lo[2 * i] = n - high * 4294967296;
    hi[2 * i + 1] = high;
  }
  return out;
}

/** Arrow's Utf8 layout built directly: one byte buffer plus n+1 offsets (much faster than a builder). */
function utf8Data(type: Utf8, values: readonly unknown[], nullBitmap: Uint8Array, nullCount: number): Data {
  const n = values.length;
  const valueOffsets = new Int32Array(n + 1);
  const encoded: Buffer[] = new Array<Buffer>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const bytes = v === null || v === undefined ? EMPTY : Buffer.from(String(v), 'utf8');
    encoded[i] = bytes;
    total += bytes.length;
    valueOffsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) data.set(encoded[i]!, valueOffsets[i]!);
  return makeData({ type, length: n, nullCount, ...(nullCount > 0 ? { nullBitmap } : {}), valueOffsets, data });
}

const EMPTY = Buffer.alloc(0);

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { nullBitmap: bitmap, nullCount };
}
