/**
 * The partitioner: which `dt=` partition a tick belongs to. The design partitions by event
 * time (UTC), not by arrival time, so a replay of old data lands beside the data of its
 * period and a query by date reads only the folders of that period. How coarse a partition
 * is (day, month, year) is the lake's partitioning; the values themselves come from
 * `lib/lake.ts`, the one place that names partitions.
 *
 * Grouping works on partition start times (integers) and keeps the span of the last
 * partition seen, so a batch of ticks in time order costs two comparisons per row.
 */
import { parsePartitionValue, partitionValue, type Partitioning } from '../lib/lake.js';

export interface PartitionGroup {
  /** The `dt` value (`2024-01-02`, `2024-01` or `2024`). */
  readonly dt: string;
  /** Start of the partition, epoch ms UTC. */
  readonly start: number;
  /** Row indices, ascending (that is, in offset order). */
  readonly rows: Int32Array;
}

/**
 * Row indices of `count` rows grouped by the time partition of their event time,
 * partitions in ascending order, row indices in ascending (offset) order inside each group.
 */
export function groupByPartition(partitioning: Partitioning, ts: Float64Array, count: number): PartitionGroup[] {
  const startOf = new Float64Array(count);
  const counts = new Map<number, number>();
  let lo = Infinity;
  let hi = -Infinity;
  let start = NaN;
  for (let i = 0; i < count; i++) {
    const t = ts[i]!;
    if (!(t >= lo && t < hi)) {
      const span = parsePartitionValue(partitionValue(partitioning, t))!;
      start = lo = span.start;
      hi = span.end;
    }
    startOf[i] = start;
    counts.set(start, (counts.get(start) ?? 0) + 1);
  }
  const starts = [...counts.keys()].sort((a, b) => a - b);
  if (starts.length === 1) {
    const rows = new Int32Array(count);
    for (let i = 0; i < count; i++) rows[i] = i;
    return [{ dt: partitionValue(partitioning, starts[0]!), start: starts[0]!, rows }];
  }
  const groups = new Map(starts.map((s) => [s, { rows: new Int32Array(counts.get(s)!), fill: 0 }]));
  for (let i = 0; i < count; i++) {
    const g = groups.get(startOf[i]!)!;
    g.rows[g.fill++] = i;
  }
  return starts.map((s) => ({ dt: partitionValue(partitioning, s), start: s, rows: groups.get(s)!.rows }));
}
