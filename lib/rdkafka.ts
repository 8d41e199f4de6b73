/**
 * The node-rdkafka client life cycle, as promises, in one place: connect, produce through a
 * full local queue, flush and let the last delivery reports through, read a partition's end,
 * consume a batch, and disconnect within a bound.
 *
 * Why a bound on disconnect: with no broker answering, a client's close waits on libuv's
 * thread pool (which the process joins at exit), so an unbounded close can hang a stop.
 */
import Kafka from 'node-rdkafka';
import { sleep } from './async.js';

/** What `connect` and `disconnect` need of a producer, consumer or admin client. */
interface Client {
  connect(metadataOptions: { timeout: number }, cb: (err: Kafka.LibrdKafkaError | null) => void): unknown;
  disconnect(cb: () => void): unknown;
}

const QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;

/** True for the error produce() throws when librdkafka's local queue is full. */
export function isQueueFull(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === QUEUE_FULL;
}

/** Connects the client; rejects with `what` and librdkafka's message (e.g. the bootstrap servers it could not reach). */
export function connectClient(client: Client, timeoutMs: number, what?: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.connect({ timeout: timeoutMs }, (err) => (err ? reject(what ? new Error(`${what}: ${err.message}`) : err) : resolve())),
  );
}

/** Disconnects the client: true once closed, false when `timeoutMs` passed first (the close goes on in the background). */
export async function disconnectClient(client: Client, timeoutMs?: number): Promise<boolean> {
  const closed = new Promise<boolean>((resolve) => client.disconnect(() => resolve(true)));
  if (timeoutMs === undefined) return closed;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([closed, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `produce` until librdkafka takes the message, waiting `waitMs` while its queue is full; `onFull` counts the waits. */
export async function produceWhenQueueFree(produce: () => void, waitMs: number, onFull?: () => void): Promise<void> {
  for (;;) {
    try {
      produce();
      return;
    } catch (err) {
      if (!isQueueFull(err)) throw err;
    }
    onFull?.();
    await sleep(waitMs);
  }
}

/** One librdkafka flush: true when every message was acknowledged or failed within `timeoutMs`. */
export function flushOnce(producer: Kafka.Producer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => producer.flush(timeoutMs, (err) => resolve(!err)));
}

/**
 * Lets the delivery reports queued during a flush reach JavaScript: they are dispatched on
 * the event loop, 100 per turn, so a few polls a few milliseconds apart hand them all over.
 */
export async function drainReports(producer: Kafka.Producer): Promise<void> {
  for (let i = 0; i < 5; i++) {
    producer.poll();
    await sleep(20);
  }
}

/** The offset the next message of a partition will get (its high watermark). */
export function highWatermark(consumer: Kafka.KafkaConsumer, topic: string, partition: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) =>
    consumer.queryWatermarkOffsets(topic, partition, timeoutMs, (err, w) => (err ? reject(err) : resolve(w.highOffset))),
  );
}

/** Up to `max` messages from the consumer's assignment (fewer, or none, when nothing arrives within the consume timeout). */
export function consumeBatch(consumer: Kafka.KafkaConsumer, max: number): Promise<Kafka.Message[]> {
  return new Promise((resolve, reject) => consumer.consume(max, (err, msgs) => (err ? reject(err) : resolve(msgs))));
}
