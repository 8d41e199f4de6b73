/**
 * Taking partitions over (the "assign" half of a rebalance): where each partition resumes.
 * The group's committed offsets are read (with retry), then each partition's uncommitted
 * batches are rolled back in the lake (recovery.ts), and only then may the consumer fetch,
 * at exactly the offsets returned here. The sink keeps polling while this runs (sink.ts).
 */
import type { Logger } from '../lib/logger.js';
import type { SinkMetrics } from './metrics.js';
import { recoverPartition } from './recovery.js';
import { retry, type BackoffPolicy } from './retry.js';
import type { ObjectStore } from './store/store.js';

export interface ResumePoints {
  /** Where each partition resumes: the lake's own record when the group's commit is behind it. */
  readonly resumeFrom: Map<number, number>;
  /** The group's committed offsets as read (-1: none). */
  readonly kafkaCommitted: Map<number, number>;
  /** Batches rolled back, over all partitions. */
  readonly rolledBack: number;
}

export interface ResumeDeps {
  readonly store: ObjectStore;
  readonly topic: string;
  readonly committedOffsets: (partitions: readonly number[]) => Promise<Map<number, number>>;
  readonly backoff: BackoffPolicy;
  /** Ends the retries (a stop): the promise then rejects with AbortedError. */
  readonly signal: AbortSignal;
  readonly metrics: SinkMetrics;
  readonly log: Logger;
}

export async function resumePoints(partitions: readonly number[], deps: ResumeDeps): Promise<ResumePoints> {
  const { store, topic, backoff, signal, log } = deps;
  const committed = await retry(() => deps.committedOffsets(partitions), {
    policy: backoff,
    signal,
    onError: (err) => log.warn({ err: (err as Error).message }, 'reading committed offsets failed; retrying'),
  });
  let rolledBack = 0;
  const resumeFrom = new Map<number, number>();
  await Promise.all(
    partitions.map(async (p) => {
      const outcome = await retry(() => recoverPartition(store, topic, p, committed.get(p)!), {
        policy: backoff,
        signal,
        onError: (err, attempt, delayMs) => {
          deps.metrics.storeErrors.inc({ op: 'recover' });
          log.warn({ err: (err as Error).message, partition: p, attempt, retryInMs: delayMs }, 'recovery failed; retrying');
        },
      });
      rolledBack += outcome.rolledBack.length;
      resumeFrom.set(p, outcome.resumeFrom);
      if (outcome.lakeOffset > committed.get(p)!) {
        log.warn({ partition: p, committed: committed.get(p), lakeOffset: outcome.lakeOffset },
          "the group's committed offset is behind what the lake holds; reading from the lake's offset");
      }
      if (outcome.rolledBack.length > 0) {
        log.info({ partition: p, batches: outcome.rolledBack.map((b) => b.startOffset), objects: outcome.deletedObjects }, 'rolled back uncommitted batches');
      }
    }),
  );
  return { resumeFrom, kafkaCommitted: committed, rolledBack };
}
