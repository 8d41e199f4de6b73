/**
 * The sink's consumer on the project's batch addon (`kafka.client=native`, native/, issue
 * 15): one poll is one buffer of keys and values plus typed arrays, not a JS object per
 * message. The addon queues rebalances and commit outcomes on librdkafka's consumer queue,
 * so they arrive with the polls, as node-rdkafka's callbacks do; its errors, statistics and
 * log lines are taken after each poll (reachability, lag, logs).
 */
import { keyAt, logLibrdkafka, nativeConfig, valueAt, type BatchConsumer, type ConsumedBatch, type NativeKafka } from '../lib/kafka-batch.js';
import { loggedReachability, parseStats, type BrokerStates, type KafkaReachability } from '../lib/kafka-reachability.js';
import { settlesWithin } from '../lib/async.js';
import {
  CONSUME_TIMEOUT_MS,
  GroupClientBase,
  NO_MESSAGES,
  sinkConsumerSettings,
  type ConsumedMessages,
  type GroupClient,
  type GroupClientOptions,
  type PartitionControl,
} from './group-client.js';
import type { CommittedPartition } from './offset-committer.js';

/** librdkafka's statistics, the parts read here: broker states and each partition's high watermark. */
interface ConsumerStats extends BrokerStates {
  readonly topics?: Record<string, { readonly partitions?: Record<string, { readonly hi_offset?: number }> }>;
}

export class NativeGroupClient extends GroupClientBase implements GroupClient {
  readonly kind = 'native' as const;
  readonly reach: KafkaReachability;
  private readonly consumer: BatchConsumer;
  protected get control(): PartitionControl {
    return this.consumer;
  }
  /** High watermarks from the last statistics document. */
  private readonly highs = new Map<number, number>();
  /** Queries on the addon's worker threads: its close refuses to run while one is under way. */
  private readonly queries = new Set<Promise<unknown>>();

  private constructor(addon: NativeKafka, options: GroupClientOptions) {
    super(options.topic, options.log);
    this.consumer = new addon.BatchConsumer(nativeConfig(sinkConsumerSettings(options)));
    this.reach = loggedReachability(this.log, 'sink');
  }

  /**
   * Subscribes to `topic`; librdkafka connects in the background and the group assigns
   * partitions through the events. (The sink's dead-letter producer, connected before this,
   * is what fails the start when no broker answers.)
   */
  static connect(addon: NativeKafka, options: GroupClientOptions): NativeGroupClient {
    const client = new NativeGroupClient(addon, options);
    client.consumer.subscribe(client.topic);
    return client;
  }

  async consume(count: number): Promise<ConsumedMessages> {
    let batch: ConsumedBatch;
    try {
      batch = await this.consumer.consumeBatch(count, CONSUME_TIMEOUT_MS);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'consume failed');
      this.takeReports();
      return NO_MESSAGES;
    }
    for (const event of batch.events) {
      const partitions = event.partitions.filter((tp) => tp.topic === this.topic).map((tp) => tp.partition);
      if (event.kind === 'error') this.log.error({ err: event.error?.message }, 'rebalance error');
      else this.queueRebalance(event.kind, partitions);
    }
    this.takeReports();
    return batch.count === 0 ? NO_MESSAGES : new BatchMessages(batch);
  }

  committedOffsets(partitions: readonly number[], timeoutMs: number): Promise<Map<number, number>> {
    if (partitions.length === 0) return Promise.resolve(new Map());
    const query = this.consumer.committed(partitions.map((partition) => ({ topic: this.topic, partition })), timeoutMs).then(
      (tps) => new Map(tps.map((tp) => [tp.partition, tp.offset >= 0 ? tp.offset : -1])),
      (err: Error) => {
        throw new Error(`committed offsets: ${err.message}`);
      },
    );
    this.queries.add(query);
    const forget = (): boolean => this.queries.delete(query);
    query.then(forget, forget);
    return query;
  }

  /** From librdkafka's last statistics document (once a second; no request). */
  highWatermark(partition: number): number | undefined {
    return this.highs.get(partition);
  }

  protected sendCommit(tp: CommittedPartition): void {
    // Settles while the loop polls (the outcome comes through the consumer queue).
    this.consumer.commit([tp]).then(
      (results) => this.committer.onResult(null, results),
      (err: Error & { code?: number }) => this.committer.onResult(err, [tp]),
    );
  }

  /** Waits for queries under way (the addon's close refuses to start before), then leaves the group. */
  protected async closeClient(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(0, deadline - Date.now());
    if (!(await settlesWithin(Promise.allSettled([...this.queries]), left()))) return false;
    return settlesWithin(this.consumer.close(), left());
  }

  /** What librdkafka reported since the last poll: errors, statistics and log lines. */
  private takeReports(): void {
    for (const err of this.consumer.takeErrors()) {
      this.reach.observeError(err.code);
      this.clientError(err.message);
    }
    const json = this.consumer.takeStats();
    const stats = json === null ? null : (parseStats(json) as ConsumerStats | null);
    if (stats) {
      this.reach.observeStats(stats);
      for (const [p, s] of Object.entries(stats.topics?.[this.topic]?.partitions ?? {})) {
        if (Number(p) >= 0 && typeof s.hi_offset === 'number' && s.hi_offset >= 0) this.highs.set(Number(p), s.hi_offset);
      }
    }
    logLibrdkafka(this.consumer.takeLogs(), this.log);
  }
}

/** One poll of the addon, read by index: keys and values are views into its one buffer. */
class BatchMessages implements ConsumedMessages {
  constructor(private readonly batch: ConsumedBatch) {}
  get count(): number {
    return this.batch.count;
  }
  partition(i: number): number {
    return this.batch.partition[i]!;
  }
  offset(i: number): number {
    return this.batch.offset[i]!;
  }
  timestamp(i: number): number {
    return this.batch.timestamp[i]!;
  }
  key(i: number): Buffer | null {
    return keyAt(this.batch, i);
  }
  value(i: number): Buffer | null {
    return valueAt(this.batch, i);
  }
}
