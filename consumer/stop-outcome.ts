/**
 * How a sink stops, and how a stop ended: the contract between the sink (sink.ts), its
 * service (service.ts, which turns the outcome into the exit status) and the supervisor of
 * several sink processes (workers.ts). docs/sink.md, "Kafka outages and stopping".
 */

/** `finish` writes and commits the open batches within the shutdown timeout; `abandon` drops them uncommitted. */
export type ShutdownMode = 'finish' | 'abandon';

/** Why a stop ended the way it did. */
export type StopReason = 'finished' | 'abandoned' | 'timeout' | 'kafka-unreachable' | 'rebalance';

/** How the last stop went. */
export interface StopOutcome {
  readonly mode: ShutdownMode;
  readonly reason: StopReason;
  /** Closed batches that were not committed (re-read by the next start). */
  readonly uncommittedBatches: number;
  /** Messages read but not committed (open and uncommitted batches). */
  readonly abandonedMessages: number;
  /** Whether a broker answered when the stop ended. */
  readonly kafkaReachable: boolean;
  /** Whether the Kafka clients closed within `closeTimeoutMs`. */
  readonly kafkaClosed: boolean;
}

/** What a finishing stop knows of one partition's remaining work. */
export interface PartitionWork {
  /** Closed batches not yet committed. */
  readonly pending: number;
  /** Where the batch being written is: only Kafka can complete a batch at `kafka`. */
  readonly stage: 'idle' | 'store' | 'kafka';
}

/**
 * Whether a finishing stop is over, and why; undefined while it should go on waiting. Once
 * every partition's remaining work waits for Kafka alone and no broker answers, nothing more
 * can be made durable, so the stop ends there.
 */
export function drainVerdict(work: readonly PartitionWork[], now: {
  readonly abandoned: boolean;
  readonly pastDeadline: boolean;
  readonly rebalancing: boolean;
  readonly kafkaReachable: boolean;
}): StopReason | undefined {
  if (work.every((w) => w.pending === 0)) return 'finished';
  if (now.abandoned) return 'abandoned';
  if (now.pastDeadline) return 'timeout';
  if (now.rebalancing) return 'rebalance';
  if (!now.kafkaReachable && work.every((w) => w.pending === 0 || w.stage === 'kafka')) return 'kafka-unreachable';
  return undefined;
}
