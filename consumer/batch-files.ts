/**
 * A closed batch to the objects that hold it: for each time partition (`dt`: day, month or
 * year, the lake's partitioning) its ticks fall in, one raw
 * ticks file and (optionally) one bars file, both under the batch's deterministic name.
 * Pure CPU work; the flusher (`flusher.ts`) does the I/O.
 */
import { BARS_1M, RAW_TICKS, type LakeTable, type Partitioning } from '../lib/lake.js';
import { minuteBars } from './bars.js';
import { encodeColumns } from './format/parquet.js';
import { objectKey, type BatchId } from './naming.js';
import type { ClosedBatch } from './partition-writer.js';
import { groupByPartition } from './partitioner.js';

export interface BatchFile {
  readonly key: string;
  readonly table: LakeTable['name'];
  readonly dt: string;
  readonly rows: number;
  readonly body: Uint8Array;
}

export function batchId(batch: Pick<ClosedBatch, 'topic' | 'partition' | 'startOffset'>): BatchId {
  return { topic: batch.topic, partition: batch.partition, startOffset: batch.startOffset };
}

export function encodeBatch(batch: ClosedBatch, options: { bars: boolean; partitioning?: Partitioning }): BatchFile[] {
  const id = batchId(batch);
  const ticks = batch.ticks;
  const files: BatchFile[] = [];
  const raw = ticks.rawColumns(batch.partition);
  for (const { dt, rows } of groupByPartition(options.partitioning ?? 'day', ticks.ts, ticks.length)) {
    const sorted = ticks.sortedOrder(rows);
    files.push({ key: objectKey(RAW_TICKS, dt, id), table: RAW_TICKS.name, dt, rows: sorted.length, body: encodeColumns(RAW_TICKS, raw, sorted) });
    if (options.bars) {
      const bars = minuteBars(ticks, sorted, batch.partition, batch.startOffset);
      files.push({ key: objectKey(BARS_1M, dt, id), table: BARS_1M.name, dt, rows: bars.length, body: encodeColumns(BARS_1M, bars) });
    }
  }
  return files;
}
