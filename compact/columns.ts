/**
 * Lake files back into the sink's columns, merged and sorted, so compaction writes its
 * output with the sink's own encoder (`encodeColumns`): the same physical and logical types,
 * writer settings and row order as every other file of the table.
 *
 * A file that cannot be read, or whose columns do not match the table (a missing required
 * column, a column of another type), is an error naming the file: compaction never guesses
 * a value, and never replaces a file it could not read. A nullable column missing from an
 * older file (bars_1m gained open_ts, close_ts, ... later) reads as nulls, as the engines do.
 */
import { DataType, tableFromIPC, type Table } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import type { Columns, ColumnValues } from '../consumer/format/parquet.js';
import type { LakeColumn, LakeTable } from '../lib/lake.js';

/** The rows of one Parquet file of `table` as columns; `name` is for the error message. */
export function decodeFile(table: LakeTable, bytes: Uint8Array, name: string): Columns {
  let arrow: Table;
  try {
    arrow = tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (err) {
    throw new Error(`${name} is not a readable Parquet file (${(err as Error).message ?? String(err)})`);
  }
  const columns: Record<string, ColumnValues> = {};
  for (const column of table.columns) {
    const field = arrow.schema.fields.find((f) => f.name === column.name);
    const vector = arrow.getChild(column.name);
    if (!field || !vector) {
      if (!column.nullable) throw new Error(`${name} has no column ${column.name}, which ${table.name} requires`);
      columns[column.name] = { kind: 'const', value: null };
      continue;
    }
    if (!typeMatches(column, field.type)) {
      throw new Error(`${name}: column ${column.name} is ${String(field.type)}, ${table.name} declares ${column.type}`);
    }
    const n = arrow.numRows;
    if (column.type === 'string') {
      const dict: string[] = [];
      const index = new Map<string, number>();
      const ids = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = vector.get(i) as string | null;
        if (v === null) {
          ids[i] = -1;
          continue;
        }
        let id = index.get(v);
        if (id === undefined) {
          id = dict.push(v) - 1;
          index.set(v, id);
        }
        ids[i] = id;
      }
      columns[column.name] = { kind: 'string', ids, dict };
    } else {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = vector.get(i) as number | bigint | null;
        values[i] = v === null ? NaN : Number(v);
      }
      columns[column.name] = { kind: 'number', values };
    }
  }
  return { length: arrow.numRows, columns };
}

function typeMatches(column: LakeColumn, type: DataType): boolean {
  switch (column.type) {
    case 'string':
      return DataType.isUtf8(type) || DataType.isLargeUtf8(type);
    case 'timestamp_ms':
      return DataType.isTimestamp(type);
    case 'double':
      return DataType.isFloat(type);
    case 'int64':
      return DataType.isInt(type) && type.bitWidth === 64;
    case 'int32':
      return DataType.isInt(type) && type.bitWidth === 32;
  }
}

/** The rows of several files of one table, one after another, in one dictionary per string column. */
export function concatColumns(table: LakeTable, parts: readonly Columns[]): Columns {
  const length = parts.reduce((s, p) => s + p.length, 0);
  const columns: Record<string, ColumnValues> = {};
  for (const column of table.columns) {
    if (column.type === 'string') {
      const dict: string[] = [];
      const index = new Map<string, number>();
      const ids = new Int32Array(length);
      let at = 0;
      for (const p of parts) {
        const c = p.columns[column.name]!;
        const local = stringView(c, p.length);
        const remap = local.dict.map((s) => {
          let id = index.get(s);
          if (id === undefined) {
            id = dict.push(s) - 1;
            index.set(s, id);
          }
          return id;
        });
        for (let i = 0; i < p.length; i++) ids[at++] = local.ids[i]! < 0 ? -1 : remap[local.ids[i]!]!;
      }
      columns[column.name] = { kind: 'string', ids, dict };
    } else {
      const values = new Float64Array(length);
      let at = 0;
      for (const p of parts) {
        const c = p.columns[column.name]!;
        if (c.kind === 'const') values.fill(c.value === null ? NaN : Number(c.value), at, at + p.length);
        else if (c.kind === 'string') throw new Error(`column ${column.name}: expected numbers`);
        else values.set(c.values, at);
        at += p.length;
      }
      columns[column.name] = { kind: 'number', values };
    }
  }
  return { length, columns };
}

function stringView(c: ColumnValues, n: number): { ids: Int32Array; dict: readonly string[] } {
  if (c.kind === 'string') return c;
  if (c.kind === 'const') return c.value === null ? { ids: new Int32Array(n).fill(-1), dict: [] } : { ids: new Int32Array(n), dict: [String(c.value)] };
  throw new Error('expected string values');
}

/** Row indices in the table's sort-key order (nulls first, as `sortRows`), ties kept in input order. */
export function sortOrder(table: LakeTable, input: Columns): Int32Array {
  const keys = table.sortKeys.map((k) => {
    const c = input.columns[k];
    if (!c) throw new Error(`sort key ${k} of ${table.name} is missing`);
    if (c.kind === 'string') {
      // Rank the dictionary once; compare ranks per row.
      const ranks = new Int32Array(c.dict.length);
      [...c.dict.keys()].sort((a, b) => (c.dict[a]! < c.dict[b]! ? -1 : c.dict[a]! > c.dict[b]! ? 1 : 0)).forEach((id, rank) => (ranks[id] = rank));
      return (i: number): number => (c.ids[i]! < 0 ? -Infinity : ranks[c.ids[i]!]!);
    }
    if (c.kind === 'const') return (): number => 0;
    const values = c.values;
    return (i: number): number => (values[i] !== values[i] ? -Infinity : values[i]!);
  });
  const order = Array.from({ length: input.length }, (_, i) => i);
  order.sort((a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return a - b;
  });
  return Int32Array.from(order);
}
