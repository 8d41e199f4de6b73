/**
 * The sink's consumer on node-rdkafka (`kafka.client=rdkafka`, the default): a
 * KafkaConsumer whose rebalance and commit callbacks feed GroupClientBase (group-client.ts).
 */
import Kafka from 'node-rdkafka';
import { watchReachability, type KafkaReachability } from '../lib/kafka-reachability.js';
import { connectClient, disconnectClient } from '../lib/rdkafka.js';
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

const ERR_ASSIGN = -175; // RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
const ERR_REVOKE = -174; // RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS
const CONNECT_TIMEOUT_MS = 30_000;

export class RdkafkaGroupClient extends GroupClientBase implements GroupClient {
  readonly kind = 'rdkafka' as const;
  readonly reach: KafkaReachability;
  private readonly consumer: Kafka.KafkaConsumer;
  protected get control(): PartitionControl {
    return this.consumer;
  }

  private constructor(options: GroupClientOptions) {
    super(options.topic, options.log);
    const { 'auto.offset.reset': reset, ...global } = sinkConsumerSettings(options);
    this.consumer = new Kafka.KafkaConsumer(
      {
        ...(global as Kafka.ConsumerGlobalConfig),
        rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.TopicPartition[]) => this.onRebalance(err, assignment),
        // Commits are asynchronous (offset-committer.ts); their outcome arrives here.
        offset_commit_cb: (err: Kafka.LibrdKafkaError | undefined, offsets: CommittedPartition[]) => this.committer.onResult(err, offsets),
      },
      { 'auto.offset.reset': reset as Kafka.ConsumerTopicConfig['auto.offset.reset'] },
    );
    this.reach = watchReachability(this.consumer, this.log, 'sink');
    // During an outage librdkafka repeats its connection errors every few seconds; the
    // outage itself is logged once (start and end), the repeats only at debug level.
    this.consumer.on('event.error', (err) => this.clientError(err.message));
  }

  /** Connects and subscribes to `topic`; the group assigns partitions through the events. */
  static async connect(options: GroupClientOptions): Promise<RdkafkaGroupClient> {
    const client = new RdkafkaGroupClient(options);
    await connectClient(client.consumer, CONNECT_TIMEOUT_MS, `cannot connect to Kafka at ${options.kafka.bootstrap}`);
    client.consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    client.consumer.subscribe([client.topic]);
    return client;
  }

  consume(count: number): Promise<ConsumedMessages> {
    return new Promise((resolve) => {
      this.consumer.consume(count, (err, messages) => {
        if (err) {
          this.log.warn({ err: err.message }, 'consume failed');
          resolve(NO_MESSAGES);
        } else resolve(new MessageList(messages));
      });
    });
  }

  committedOffsets(partitions: readonly number[], timeoutMs: number): Promise<Map<number, number>> {
    return new Promise((resolve, reject) => {
      if (partitions.length === 0) return resolve(new Map());
      this.consumer.committed(
        partitions.map((partition) => ({ topic: this.topic, partition })),
        timeoutMs,
        (err, tps) => {
          if (err) return reject(new Error(`committed offsets: ${err.message}`));
          resolve(new Map(tps.map((tp) => [tp.partition, typeof tp.offset === 'number' && tp.offset >= 0 ? tp.offset : -1])));
        },
      );
    });
  }

  /** As last fetched (node-rdkafka caches it; no request). */
  highWatermark(partition: number): number | undefined {
    try {
      const { highOffset } = this.consumer.getWatermarkOffsets(this.topic, partition);
      return highOffset >= 0 ? highOffset : undefined;
    } catch {
      return undefined;
    }
  }

  protected sendCommit(tp: CommittedPartition): void {
    this.consumer.commit(tp);
  }

  protected closeClient(timeoutMs: number): Promise<boolean> {
    return disconnectClient(this.consumer, timeoutMs);
  }

  private onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.TopicPartition[]): void {
    if (this.closing) {
      if (err.code === ERR_REVOKE) this.consumer.unassign();
      return;
    }
    const partitions = assignment.filter((tp) => tp.topic === this.topic).map((tp) => tp.partition);
    if (err.code === ERR_ASSIGN) this.queueRebalance('assign', partitions);
    else if (err.code === ERR_REVOKE) this.queueRebalance('revoke', partitions);
    else this.log.error({ err: err.message }, 'rebalance error');
  }
}

/** node-rdkafka's message objects, read by index. */
class MessageList implements ConsumedMessages {
  constructor(private readonly messages: readonly Kafka.Message[]) {}
  get count(): number {
    return this.messages.length;
  }
  partition(i: number): number {
    return this.messages[i]!.partition;
  }
  offset(i: number): number {
    return this.messages[i]!.offset;
  }
  timestamp(i: number): number {
    return this.messages[i]!.timestamp ?? 0;
  }
  key(i: number): Buffer | null {
    const key = this.messages[i]!.key;
    return key === undefined || key === null ? null : typeof key === 'string' ? Buffer.from(key) : key;
  }
  value(i: number): Buffer | null {
    return this.messages[i]!.value ?? null;
  }
}
