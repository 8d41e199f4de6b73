/**
 * A closed batch to the objects that hold it: for each time partition (`dt`: day, month or
 * year, the lake's partitioning) its ticks fall in, one raw ticks file and (optionally) one
 * bars file, both under the batch's deterministic name. Pure CPU work; the flusher
 * (`flusher.ts`) does the I/O.
 *
 * A batch's files are built from its ticks chunk by chunk (`chunkParts`): per `dt`, the
 * chunk's rows sorted by symbol, ts, offset, and the bars of those rows. `encodeBatch` does
 * it in memory for a batch that holds all its ticks; the spool (`spool.ts`) appends each
 * chunk's parts to files on disk as the batch fills, so a file is sorted within each chunk.
 */
import { BARS_1M, RAW_TICKS, type LakeTable, type Partitioning } from '../lib/lake.js';
import { minuteBars } from './bars.js';
import { encodeColumns, type Columns } from './format/parquet.js';
import { objectKey, type BatchId } from './naming.js';
import type { ClosedBatch } from './partition-writer.js';
import { groupByPartition } from './partitioner.js';
import type { TickColumns } from './tick-columns.js';

interface BatchFileInfo {
  readonly key: string;
  readonly table: LakeTable['name'];
  readonly dt: string;
  readonly rows: number;
  readonly bytes: number;
}

/** One object of a batch: its bytes in memory, or a finished file in the spool. */
export type BatchFile = BatchFileInfo & ({ readonly body: Uint8Array; readonly path?: undefined } | { readonly path: string; readonly body?: undefined });

export interface EncodeOptions {
  readonly bars: boolean;
  readonly partitioning?: Partitioning;
}

/** The rows of one object that one chunk of ticks contributes. */
export interface ChunkPart {
  readonly key: string;
  readonly table: LakeTable;
  readonly dt: string;
  readonly columns: Columns;
  /** Rows of `columns` in file order; absent: all, in index order. */
  readonly order?: Int32Array;
}

export function batchId(batch: Pick<ClosedBatch, 'topic' | 'partition' | 'startOffset'>): BatchId {
  return { topic: batch.topic, partition: batch.partition, startOffset: batch.startOffset };
}

/**
 * What one chunk of a batch's ticks adds to the batch's objects, per `dt` in ascending
 * order: the raw rows sorted by symbol, ts, offset, then (with `bars`) their bars.
 * `lineageOffset` is the bars' `batch_offset`: the batch's first offset for its first chunk,
 * the chunk's first offset after that, so partial bars of one batch still order by offset.
 */
export function chunkParts(id: BatchId, ticks: TickColumns, lineageOffset: number, options: EncodeOptions): ChunkPart[] {
  const parts: ChunkPart[] = [];
  const raw = ticks.rawColumns(id.partition);
  for (const { dt, rows } of groupByPartition(options.partitioning ?? 'day', ticks.ts, ticks.length)) {
    const order = ticks.sortedOrder(rows);
    parts.push({ key: objectKey(RAW_TICKS, dt, id), table: RAW_TICKS, dt, columns: raw, order });
    if (options.bars) {
      parts.push({ key: objectKey(BARS_1M, dt, id), table: BARS_1M, dt, columns: minuteBars(ticks, order, id.partition, lineageOffset) });
    }
  }
  return parts;
}

/** A batch that holds all its ticks, encoded in memory. */
export function encodeBatch(batch: ClosedBatch, options: EncodeOptions): BatchFile[] {
  return chunkParts(batchId(batch), batch.ticks, batch.startOffset, options).map((part) => {
    const body = encodeColumns(part.table, part.columns, part.order);
    return { key: part.key, table: part.table.name, dt: part.dt, rows: part.order?.length ?? part.columns.length, bytes: body.length, body };
  });
}
