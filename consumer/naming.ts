/**
 * Object names. Every object the sink writes has a name that is a pure function of the
 * Kafka topic, partition and first offset of the batch it came from (the Confluent S3 sink's
 * `<topic>+<partition>+<startOffset>` model), so a batch written twice, by a restarted sink
 * or by the next owner of the partition, lands on the same keys instead of beside them.
 *
 * A batch of one Kafka partition can hold ticks of several time partitions (days, months or
 * years: the lake's partitioning, lib/lake.ts); it is written as one object per `dt=`
 * partition, all with the batch's start offset in the name:
 *
 *   raw/ticks/dt=2024-01-02/ticks+3+00000000000000012345.parquet
 *   processed/bars_1m/dt=2024-01-02/ticks+3+00000000000000012345.parquet
 *   _sink/intents/ticks+3+00000000000000012345.json      (the batch's write intent, see recovery.ts)
 *
 * Offsets are zero-padded to 20 digits so that names sort in offset order.
 */
import { partitionPrefix, type LakeTable } from '../lib/lake.js';

export const OFFSET_WIDTH = 20;

/** Where the sink keeps its own bookkeeping; `_` keeps Hive-style readers and crawlers out. */
export const INTENTS_PREFIX = '_sink/intents';

export interface BatchId {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
}

/** `ticks+3+00000000000000012345` */
export function batchName(id: BatchId): string {
  if (!/^[A-Za-z0-9._-]+$/.test(id.topic)) throw new Error(`not a Kafka topic name: ${id.topic}`);
  if (!Number.isSafeInteger(id.partition) || id.partition < 0) throw new Error(`bad partition ${id.partition}`);
  if (!Number.isSafeInteger(id.startOffset) || id.startOffset < 0) throw new Error(`bad offset ${id.startOffset}`);
  return `${id.topic}+${id.partition}+${String(id.startOffset).padStart(OFFSET_WIDTH, '0')}`;
}

/** Parses a batch name (or a key ending in one, with any extension) back to its parts. */
export function parseBatchName(keyOrName: string): BatchId | null {
  const base = keyOrName.slice(keyOrName.lastIndexOf('/') + 1);
  const m = /^([A-Za-z0-9._-]+)\+(\d+)\+(\d{1,20})(?:\.[a-z]+)?$/.exec(base);
  if (!m) return null;
  return { topic: m[1]!, partition: Number(m[2]), startOffset: Number(m[3]) };
}

/** Key of the object of `table` holding the batch's rows of one `dt` partition (`2024-01-02`, `2024-01` or `2024`). */
export function objectKey(table: LakeTable, dt: string, id: BatchId): string {
  return `${partitionPrefix(table, dt)}/${batchName(id)}.parquet`;
}

export function intentKey(id: BatchId): string {
  return `${INTENTS_PREFIX}/${batchName(id)}.json`;
}

/** Where the sink records, per Kafka partition, the next offset the lake does not hold yet. */
export const LAKE_OFFSETS_PREFIX = '_sink/offsets';

/** `_sink/offsets/ticks+3.json`: the lake's own record of how far it holds partition 3 (recovery.ts). */
export function lakeOffsetKey(topic: string, partition: number): string {
  batchName({ topic, partition, startOffset: 0 }); // validates the topic and partition
  return `${LAKE_OFFSETS_PREFIX}/${topic}+${partition}.json`;
}

/** Prefix that lists the intents of one Kafka partition (and no other: `+3+` cannot match `+30+`). */
export function intentPrefix(topic: string, partition: number): string {
  return `${INTENTS_PREFIX}/${topic}+${partition}+`;
}
