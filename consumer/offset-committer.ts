/**
 * Offset commits that never block the event loop.
 *
 * node-rdkafka's `commitSync` runs `rd_kafka_commit(async=0)` on the main thread, and
 * librdkafka holds a commit until a group coordinator answers, with no timeout: with every
 * broker down the whole process froze (no /metrics, no signal handling) until the cluster
 * came back (issue 20). So the sink commits with `commit` (`rd_kafka_commit(async=1)`, which
 * returns at once) and learns the outcome from librdkafka's offset-commit callback, which
 * node-rdkafka delivers on the event loop while the consumer is polled. Each commit waits for
 * its outcome at most `timeoutMs`, and gives up at once when its signal fires.
 *
 * A commit that timed out may still be sent once a coordinator answers. That is harmless: it
 * is only ever issued after the batch's objects are durable (flusher.ts), so a late commit
 * commits exactly what the lake holds; a retry of the same offset joins the request that is
 * already waiting instead of queueing another.
 */
import { AbortedError } from './retry.js';

export interface CommittedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly error?: { readonly message?: string; readonly code?: number } | null;
}

export class CommitTimeoutError extends Error {
  constructor(topic: string, partition: number, offset: number, timeoutMs: number) {
    super(`commit of ${topic} [${partition}] at ${offset} not confirmed within ${timeoutMs} ms (is Kafka reachable?)`);
    this.name = 'CommitTimeoutError';
  }
}

interface Waiting {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

const key = (topic: string, partition: number, offset: number): string => `${topic}\u0000${partition}\u0000${offset}`;

export class OffsetCommitter {
  private readonly waiting = new Map<string, Waiting>();

  /** `send` hands librdkafka an asynchronous commit (node-rdkafka `consumer.commit`). */
  constructor(private readonly send: (tp: { topic: string; partition: number; offset: number }) => void) {}

  /** Commits in flight (sent, outcome not yet reported). */
  get inFlight(): number {
    return this.waiting.size;
  }

  /**
   * Commits `offset` (the next offset to read) for the partition; resolves when the
   * coordinator confirmed it, rejects on its error, after `timeoutMs`, or when `signal` fires.
   */
  async commit(topic: string, partition: number, offset: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortedError(String(signal.reason ?? 'aborted'));
    const k = key(topic, partition, offset);
    let w = this.waiting.get(k);
    if (!w) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A waiter nobody awaits any more (timed out) must not become an unhandled rejection.
      promise.catch(() => undefined);
      w = { promise, resolve, reject };
      this.waiting.set(k, w);
      try {
        this.send({ topic, partition, offset });
      } catch (err) {
        this.waiting.delete(k);
        throw err;
      }
    }
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommitTimeoutError(topic, partition, offset, timeoutMs)), timeoutMs);
      onAbort = () => reject(new AbortedError(String(signal?.reason ?? 'aborted')));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([w.promise, bounded]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** librdkafka's offset-commit callback: settles the commits it reports. */
  onResult(err: { message?: string; code?: number } | null | undefined, offsets: readonly CommittedPartition[] | undefined): void {
    for (const tp of offsets ?? []) {
      const k = key(tp.topic, tp.partition, tp.offset);
      const w = this.waiting.get(k);
      if (!w) continue;
      this.waiting.delete(k);
      const failure = tp.error ?? err;
      if (failure) w.reject(new Error(`commit of ${tp.topic} [${tp.partition}] at ${tp.offset} failed: ${failure.message ?? String(failure.code)}`));
      else w.resolve();
    }
  }

  /** Fails every commit still waiting (the consumer is going away). */
  abandonAll(reason: string): void {
    for (const w of this.waiting.values()) w.reject(new AbortedError(reason));
    this.waiting.clear();
  }
}
