/**
 * The sink's Kafka side: one consumer in the sink's group, and everything the sink asks of
 * it as promises or plain calls. Two clients implement it (`kafka.client`):
 *
 * - `group-client-rdkafka.ts`: node-rdkafka's KafkaConsumer, one JS object per message;
 * - `group-client-native.ts`: the project's batch addon (native/, issue 15), one buffer and
 *   typed arrays per poll.
 *
 * `connect-group-client.ts` picks one. What both share lives here (`GroupClientBase`): the asynchronous commits
 * (`offset-committer.ts`), whether a broker answers (`lib/kafka-reachability.ts`), and the
 * rebalance events librdkafka hands over, which are only queued: the sink's loop takes them
 * between two polls (sink.ts), so a poll's messages are always handled against the
 * assignment they were fetched under.
 */
import { consumerSettings, consumerTopicSettings } from '../lib/kafka.js';
import type { KafkaReachability } from '../lib/kafka-reachability.js';
import { REACHABILITY_STATS_INTERVAL_MS } from '../lib/kafka-reachability.js';
import type { KafkaConfig } from '../lib/settings.js';
import type { Logger } from '../lib/logger.js';
import { OffsetCommitter, type CommittedPartition } from './offset-committer.js';
import type { SinkConfig } from './settings.js';

/** Where the consumer reads from when its group has committed nothing. */
export const OFFSET_BEGINNING = -2;
/** How long one poll waits for messages: the loop's other work runs at least this often. */
export const CONSUME_TIMEOUT_MS = 100;

export type RebalanceEvent = { readonly kind: 'assign' | 'revoke'; readonly partitions: readonly number[] };

/** One poll's messages, read by index (the sink's topic only). */
export interface ConsumedMessages {
  readonly count: number;
  partition(i: number): number;
  offset(i: number): number;
  /** The message's timestamp (ms since the epoch; -1 when it has none). */
  timestamp(i: number): number;
  /** A view that may share memory with the rest of the poll: copy what is kept. */
  key(i: number): Buffer | null;
  /** A view that may share memory with the rest of the poll: copy what is kept. */
  value(i: number): Buffer | null;
}

export const NO_MESSAGES: ConsumedMessages = {
  count: 0,
  partition: outOfRange,
  offset: outOfRange,
  timestamp: outOfRange,
  key: outOfRange,
  value: outOfRange,
};

function outOfRange(i: number): never {
  throw new RangeError(`message ${i} of an empty poll`);
}

export interface GroupClientOptions {
  readonly kafka: KafkaConfig;
  readonly topic: string;
  /** The group, its session, static membership and the fetch sizes. */
  readonly sink: Pick<SinkConfig, 'group' | 'sessionTimeoutMs' | 'instanceId' | 'fetchMaxMb' | 'partitionFetchMb' | 'queuedMaxMb'>;
  readonly log: Logger;
}

/** What the sink asks of its consumer. */
export interface GroupClient {
  readonly topic: string;
  /** Whether a broker answers the consumer (metrics, logs, and how a stop ends). */
  readonly reach: KafkaReachability;
  /** Which client this is, for the start-up log. */
  readonly kind: 'rdkafka' | 'native';
  /** Up to `count` messages; none when the poll failed (logged: librdkafka retries by itself). */
  consume(count: number): Promise<ConsumedMessages>;
  /** The rebalance events queued since the last call, oldest first (this topic's partitions only). */
  takeEvents(): RebalanceEvent[];
  readonly hasEvents: boolean;
  /** The group's committed offsets of `partitions` (-1: none), asked of the coordinator within `timeoutMs`. */
  committedOffsets(partitions: readonly number[], timeoutMs: number): Promise<Map<number, number>>;
  /** Commits `offset` (the next to read) for the partition, confirmed within `timeoutMs`. */
  commit(partition: number, offset: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Starts fetching `partitions` at the given offsets (`OFFSET_BEGINNING` when none is committed). */
  assign(offsets: ReadonlyMap<number, number>): void;
  unassign(): void;
  pause(partitions: readonly number[]): void;
  resume(partitions: readonly number[]): void;
  /** The partition's high watermark as last known (no request), or undefined. */
  highWatermark(partition: number): number | undefined;
  /** Ends the client within `timeoutMs`; false when it did not close (see GroupClientBase.close). */
  close(timeoutMs: number): Promise<boolean>;
}

/**
 * The librdkafka settings of the sink's consumer, without client-specific callbacks: the
 * group settings of lib/kafka.ts and the sink's fetch sizes (the sink reads in bulk).
 */
export function sinkConsumerSettings(options: GroupClientOptions): Record<string, string | number | boolean> {
  const { kafka, sink } = options;
  return {
    ...(consumerSettings(kafka, sink.group, 'sink', { sessionTimeoutMs: sink.sessionTimeoutMs }) as Record<string, string | number | boolean>),
    ...(consumerTopicSettings() as Record<string, string>),
    'fetch.max.bytes': sink.fetchMaxMb * 1024 * 1024,
    'max.partition.fetch.bytes': sink.partitionFetchMb * 1024 * 1024,
    'queued.max.messages.kbytes': sink.queuedMaxMb * 1024,
    'partition.assignment.strategy': 'range,roundrobin',
    ...(sink.instanceId ? { 'group.instance.id': sink.instanceId } : {}),
    // Broker connection states, for kafka-reachability.ts.
    'statistics.interval.ms': REACHABILITY_STATS_INTERVAL_MS,
  };
}

/** The calls on a partition set that node-rdkafka's KafkaConsumer and the addon's BatchConsumer share. */
export interface PartitionControl {
  assign(partitions: Array<{ topic: string; partition: number; offset: number }>): unknown;
  unassign(): unknown;
  pause(partitions: Array<{ topic: string; partition: number }>): unknown;
  resume(partitions: Array<{ topic: string; partition: number }>): unknown;
}

/**
 * What both clients share: the commit waiters, the rebalance queue, the partition calls and
 * the close rules. A subclass sends commits (`sendCommit`), queues events with
 * `queueRebalance` and closes its client (`closeClient`).
 */
export abstract class GroupClientBase {
  abstract readonly reach: KafkaReachability;
  /** The client's partition calls (the consumer itself). */
  protected abstract readonly control: PartitionControl;
  protected readonly committer: OffsetCommitter;
  private readonly events: RebalanceEvent[] = [];
  /** Set by `close`: from then on a revocation is answered by the client, the loop being gone. */
  protected closing = false;

  protected constructor(
    readonly topic: string,
    protected readonly log: Logger,
  ) {
    this.committer = new OffsetCommitter((tp) => this.sendCommit(tp));
  }

  /** Hands librdkafka an asynchronous commit; its outcome goes to `committer.onResult`. */
  protected abstract sendCommit(tp: CommittedPartition): void;
  /** Leaves the group and destroys the client within `timeoutMs`; true when it did. */
  protected abstract closeClient(timeoutMs: number): Promise<boolean>;

  assign(offsets: ReadonlyMap<number, number>): void {
    const assignment = [...offsets].map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
    this.control.assign(assignment);
    // librdkafka keeps a partition's pause flag across assignments: a partition this member
    // paused under a previous assignment would otherwise never be fetched again.
    this.control.resume(assignment.map(({ topic, partition }) => ({ topic, partition })));
  }

  unassign(): void {
    this.control.unassign();
  }

  pause(partitions: readonly number[]): void {
    if (partitions.length > 0) this.control.pause(partitions.map((partition) => ({ topic: this.topic, partition })));
  }

  resume(partitions: readonly number[]): void {
    if (partitions.length > 0) this.control.resume(partitions.map((partition) => ({ topic: this.topic, partition })));
  }

  takeEvents(): RebalanceEvent[] {
    return this.events.splice(0, this.events.length);
  }

  get hasEvents(): boolean {
    return this.events.length > 0;
  }

  /** Never a blocking commit: it holds the event loop until a coordinator answers (issue 20). */
  async commit(partition: number, offset: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    await this.committer.commit(this.topic, partition, offset, timeoutMs, signal);
    this.reach.observeSuccess();
  }

  /**
   * Ends the client: fails the commits still waiting, answers a rebalance left unanswered,
   * and leaves the group within `timeoutMs`. With no broker answering the close is not even
   * tried: it would wait on libuv's thread pool, which the process joins when it exits, so
   * the member is left to expire after its session timeout. True when it closed.
   */
  async close(timeoutMs: number): Promise<boolean> {
    this.committer.abandonAll('sink stopping');
    this.closing = true;
    // librdkafka waits for an (un)assign call after every rebalance callback; the loop that
    // would have made it is gone.
    if (this.takeEvents().length > 0) this.control.unassign();
    if (!this.reach.reachable) return false;
    return this.closeClient(timeoutMs);
  }

  /** Queues a rebalance of librdkafka's (the loop handles it between two polls). */
  protected queueRebalance(kind: 'assign' | 'revoke', partitions: readonly number[]): void {
    this.events.push({ kind, partitions });
  }

  /** Consumer errors: loud while a broker answers, quiet during an outage (logged once there). */
  protected clientError(message: string): void {
    if (this.reach.reachable) this.log.warn({ err: message }, 'kafka client error');
    else this.log.debug({ err: message }, 'kafka client error');
  }
}
