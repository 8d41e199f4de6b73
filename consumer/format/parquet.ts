/**
 * The Parquet format of the lake: columns of a `LakeTable` in, file bytes out.
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
 * The sink hands over columns, not row objects: a batch of 200k ticks is a few typed arrays
 * plus a string dictionary, so encoding costs a pass over typed arrays instead of 200k
 * objects for the garbage collector. `encodeColumns` writes the rows in the order given
 * (the caller sorts by the table's sort keys); with fixed writer settings the same rows in
 * the same order always give the same bytes, which keeps a replayed file identical.
 * `encodeParquet` (row objects, sorted here) stays for tests and fixtures.
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
import { Compression, Table as WasmTable, WriterPropertiesBuilder, WriterVersion, writeParquet, type WriterProperties } from 'parquet-wasm';
import type { LakeColumn, LakeTable } from '../../lib/lake.js';

/** One row as a plain object keyed by column name; timestamps as epoch milliseconds. */
export type LakeRow = Record<string, string | number | null | undefined>;

/**
 * One column's values, in one of three compact forms:
 * - `string`: dictionary ids into `dict`, -1 for null;
 * - `number`: any numeric column (double, int64, timestamp_ms, int32), NaN for null;
 * - `int32`: int32 values without nulls (partition numbers).
 */
export type ColumnValues =
  | { readonly kind: 'string'; readonly ids: Int32Array; readonly dict: readonly string[] }
  | { readonly kind: 'number'; readonly values: Float64Array }
  | { readonly kind: 'int32'; readonly values: Int32Array }
  | { readonly kind: 'const'; readonly value: string | number | null };

export interface Columns {
  readonly length: number;
  readonly columns: Readonly<Record<string, ColumnValues>>;
}

/** Rows per row group: large enough for good compression, small enough to bound writer memory. */
export const MAX_ROW_GROUP_ROWS = 128 * 1024;

const propsCache = new Map<LakeTable, () => WriterProperties>();

/**
 * Writer settings of a table. Dictionary encoding pays for low-cardinality columns (symbol,
 * exchange, partition) and costs several times the write time on unique ones (prices,
 * times, offsets). `build()` hands ownership to the writer, so a fresh one per file.
 */
export function writerProperties(table: LakeTable): WriterProperties {
  let make = propsCache.get(table);
  if (!make) {
    make = () => {
      let props = new WriterPropertiesBuilder()
        .setCompression(Compression.SNAPPY)
        .setWriterVersion(WriterVersion.V1)
        .setMaxRowGroupSize(MAX_ROW_GROUP_ROWS)
        .setCreatedBy('tickstream');
      for (const column of table.columns) {
        props = props.setColumnDictionaryEnabled(column.name, column.type === 'string' || column.type === 'int32');
      }
      return props.build();
    };
    propsCache.set(table, make);
  }
  return make();
}

/**
 * Encodes the rows `order` (indices into the columns; all rows in index order when absent)
 * as one Parquet file of `table`. Every column of the table must be present.
 */
export function encodeColumns(table: LakeTable, input: Columns, order?: Int32Array): Uint8Array {
  return writeParquet(wasmTableOf(table, input, order), writerProperties(table));
}

/**
 * The rows `order` of `input` as one Arrow record batch with the table's declared schema
 * (nullability included, not inferred from the data), handed to parquet-wasm's memory.
 */
export function wasmTableOf(table: LakeTable, input: Columns, order?: Int32Array): WasmTable {
  const rows = order ?? identity(input.length);
  const fields: Field[] = [];
  const columns: Data[] = [];
  for (const column of table.columns) {
    const values = input.columns[column.name];
    if (!values) throw new Error(`column ${column.name} of ${table.name} is missing`);
    const type = arrowType(column);
    fields.push(new Field(column.name, type, column.nullable));
    columns.push(columnData(column, type, values, rows));
  }
  const schema = new Schema(fields);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children: columns }));
  return WasmTable.fromIPCStream(tableToIPC(new Table(schema, [batch]), 'stream'));
}

/** Row objects in, sorted by the table's sort keys, then encoded. For tests and fixtures. */
export function encodeParquet(table: LakeTable, rows: readonly LakeRow[]): Uint8Array {
  return encodeColumns(table, rowsToColumns(table, sortRows(table, rows)));
}

export function rowsToColumns(table: LakeTable, rows: readonly LakeRow[]): Columns {
  const columns: Record<string, ColumnValues> = {};
  for (const column of table.columns) {
    if (column.type === 'string') {
      const dict: string[] = [];
      const index = new Map<string, number>();
      const ids = Int32Array.from(rows, (r) => {
        const v = r[column.name];
        if (v === null || v === undefined) return -1;
        const s = String(v);
        let id = index.get(s);
        if (id === undefined) {
          id = dict.push(s) - 1;
          index.set(s, id);
        }
        return id;
      });
      columns[column.name] = { kind: 'string', ids, dict };
    } else {
      const values = Float64Array.from(rows, (r) => {
        const v = r[column.name];
        return typeof v === 'number' ? v : NaN;
      });
      columns[column.name] = { kind: 'number', values };
    }
  }
  return { length: rows.length, columns };
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

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
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

function columnData(column: LakeColumn, type: DataType, values: ColumnValues, rows: Int32Array): Data {
  if (values.kind === 'const') return constData(column, type, values.value, rows.length);
  if (column.type === 'string') {
    if (values.kind !== 'string') throw new Error(`column ${column.name}: expected string values`);
    return utf8Data(column, type as Utf8, values.ids, values.dict, rows);
  }
  if (values.kind === 'string') throw new Error(`column ${column.name}: expected numeric values`);
  const n = rows.length;
  const src = values.values;
  const valid = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  let data: Float64Array | Int32Array | BigInt64Array;
  if (column.type === 'double' || column.type === 'int32') {
    // Same-width copy: NaN marks a null, everything else is the value.
    const out = column.type === 'double' ? new Float64Array(n) : new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = src[rows[i]!]!;
      if (v !== v) nullCount++;
      else {
        out[i] = v;
        valid[i >> 3]! |= 1 << (i & 7);
      }
    }
    data = out;
  } else {
    // int64 and timestamps: numbers (exact up to 2^53) into little-endian int64 by 32-bit
    // halves, the same bits as BigInt64Array.from(values, BigInt) without a BigInt per value.
    const out = new BigInt64Array(n);
    const lo = new Uint32Array(out.buffer);
    const hi = new Int32Array(out.buffer);
    for (let i = 0; i < n; i++) {
      const v = src[rows[i]!]!;
      if (v !== v) {
        nullCount++;
        continue;
      }
      const t = Math.trunc(v);
      const high = Math.floor(t / 4294967296);
      lo[2 * i] = t - high * 4294967296;
      hi[2 * i + 1] = high;
      valid[i >> 3]! |= 1 << (i & 7);
    }
    data = out;
  }
  checkNulls(column, nullCount);
  return makeData({ type: type as Int64, length: n, nullCount, ...(nullCount > 0 ? { nullBitmap: valid } : {}), data: data as BigInt64Array });
}

function constData(column: LakeColumn, type: DataType, value: string | number | null, n: number): Data {
  if (typeof value === 'string') {
    return utf8Data(column, type as Utf8, new Int32Array(n), [value], identity(n));
  }
  const values = new Float64Array(n).fill(value === null ? NaN : value);
  return columnData(column, type, { kind: 'number', values }, identity(n));
}

/** Arrow's Utf8 layout built directly: one byte buffer plus n+1 offsets, each distinct string encoded once. */
function utf8Data(column: LakeColumn, type: Utf8, ids: Int32Array, dict: readonly string[], rows: Int32Array): Data {
  const n = rows.length;
  const encoded = dict.map((s) => Buffer.from(s, 'utf8'));
  const valueOffsets = new Int32Array(n + 1);
  const valid = new Uint8Array((n + 7) >> 3);
  let nullCount = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[rows[i]!]!;
    if (id < 0) nullCount++;
    else {
      total += encoded[id]!.length;
      valid[i >> 3]! |= 1 << (i & 7);
    }
    valueOffsets[i + 1] = total;
  }
  checkNulls(column, nullCount);
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    const id = ids[rows[i]!]!;
    if (id >= 0) data.set(encoded[id]!, valueOffsets[i]!);
  }
  return makeData({ type, length: n, nullCount, ...(nullCount > 0 ? { nullBitmap: valid } : {}), valueOffsets, data });
}

function checkNulls(column: LakeColumn, nullCount: number): void {
  if (nullCount > 0 && !column.nullable) {
    throw new Error(`column ${column.name} is not nullable but ${nullCount} row(s) have no value`);
  }
}
