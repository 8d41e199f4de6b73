/**
 * Write intents and recovery: what makes the lake exactly-once whatever a crash interrupted.
 *
 * Before it writes a batch's objects, the sink puts a small intent object naming them
 * (`_sink/intents/<topic>+<partition>+<startOffset>.json`); after the batch's offsets are
 * committed it deletes the intent. So at any moment, the objects of every batch that is not
 * committed are named by an intent.
 *
 * When a partition is assigned (at start, after a crash, after a rebalance), before any of
 * its messages is read, `recoverPartition` compares each intent of the partition with the
 * group's committed offset C:
 *   - start >= C: the batch was never committed; its objects (some, all or none of them
 *     written) are deleted. The partition is read from C again and the batch rewritten.
 *   - start < C: the batch was committed and only the intent's deletion was lost; the
 *     objects stay and the intent goes.
 * With data-dependent rotation the rewrite produces the very same objects, so this only
 * matters for batches cut by the wall clock or by a shutdown, and for half-written batches;
 * it costs one LIST of a prefix that holds only uncommitted batches.
 *
 * The group's committed offset alone is not enough: the chaos run (docs/chaos.md) found it
 * BEHIND what the lake held after a coordinator was paused and replaced: an older commit
 * landed after a newer one, a restarted sink read from there, and rewrote 874 ticks a batch
 * of the lake already held. So the lake keeps its own record, as Kafka Connect's S3 sink
 * reads its offsets from the storage: after a batch's objects and dead letters are durable
 * and before its commit, the sink puts `_sink/offsets/<topic>+<partition>.json` with the
 * next offset the lake does not hold (lakeOffsetKey). Recovery resumes from the larger of
 * that and the committed offset, and applies the rule above to it.
 */
import { intentKey, intentPrefix, lakeOffsetKey, parseBatchName, type BatchId } from './naming.js';
import type { ObjectStore } from './store/store.js';

export interface Intent {
  readonly version: 1;
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly endOffset: number;
  readonly keys: readonly string[];
}

export function encodeIntent(intent: Intent): Uint8Array {
  return Buffer.from(JSON.stringify(intent), 'utf8');
}

export function decodeIntent(bytes: Uint8Array): Intent {
  const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as Intent;
  if (v.version !== 1 || !Array.isArray(v.keys) || typeof v.startOffset !== 'number') throw new Error('not a sink intent');
  return v;
}

export async function putIntent(store: ObjectStore, intent: Intent): Promise<string> {
  const key = intentKey(intent);
  await store.put(key, encodeIntent(intent));
  return key;
}

/** The lake's record of how far it holds a partition (see the header). */
interface LakeOffset {
  readonly version: 1;
  readonly topic: string;
  readonly partition: number;
  /** The next offset the lake does not hold: every batch below it is durable. */
  readonly next: number;
}

/** Records that the lake holds every offset of the partition below `next`. */
export async function putLakeOffset(store: ObjectStore, topic: string, partition: number, next: number): Promise<void> {
  const record: LakeOffset = { version: 1, topic, partition, next };
  await store.put(lakeOffsetKey(topic, partition), Buffer.from(JSON.stringify(record), 'utf8'));
}

/** The lake's next offset for the partition, or -1 when it has no record (a lake written before it kept one). */
export async function readLakeOffset(store: ObjectStore, topic: string, partition: number): Promise<number> {
  const bytes = await store.get(lakeOffsetKey(topic, partition));
  if (!bytes) return -1;
  const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as LakeOffset;
  if (v.version !== 1 || v.topic !== topic || v.partition !== partition || !Number.isSafeInteger(v.next)) {
    throw new Error(`${lakeOffsetKey(topic, partition)} is not this partition's lake offset`);
  }
  return v.next;
}

export interface RecoveryOutcome {
  /** Batches found written but not committed, whose objects were deleted. */
  readonly rolledBack: readonly BatchId[];
  readonly deletedObjects: number;
  /** Intents of committed batches, removed. */
  readonly staleIntents: number;
  /** Where to read the partition from: the larger of the committed offset and the lake's (-1: from the start). */
  readonly resumeFrom: number;
  /** The lake's own record, -1 when there is none. Above `committed`: Kafka's commit was behind the lake. */
  readonly lakeOffset: number;
}

/**
 * Rolls back the uncommitted batches of one partition. `committed` is the group's committed
 * offset, or a negative number when the group has none (then nothing is committed); the
 * lake's own record raises it when the commit is behind what the lake holds.
 */
export async function recoverPartition(store: ObjectStore, topic: string, partition: number, committed: number): Promise<RecoveryOutcome> {
  const rolledBack: BatchId[] = [];
  let deletedObjects = 0;
  let staleIntents = 0;
  const lakeOffset = await readLakeOffset(store, topic, partition);
  const resumeFrom = Math.max(committed, lakeOffset);
  const keys = (await store.list(intentPrefix(topic, partition))).sort();
  for (const key of keys) {
    const id = parseBatchName(key);
    if (!id || id.topic !== topic || id.partition !== partition) continue;
    if (resumeFrom >= 0 && id.startOffset < resumeFrom) {
      await store.delete(key);
      staleIntents++;
      continue;
    }
    const bytes = await store.get(key);
    if (bytes) {
      // A torn intent cannot exist (puts are atomic); an unreadable one is someone else's file.
      const intent = decodeIntent(bytes);
      for (const objectKey of intent.keys) {
        await store.delete(objectKey);
        deletedObjects++;
      }
    }
    await store.delete(key);
    rolledBack.push(id);
  }
  return { rolledBack, deletedObjects, staleIntents, resumeFrom, lakeOffset };
}
