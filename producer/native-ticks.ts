/**
 * The producer's ticks on the batch-native client (`kafka.client=native`, issue 15): ticks
 * are laid out into batches (lib/kafka-batch.ts BatchBuilder) and handed to the addon one
 * call per batch, instead of one node-rdkafka produce() per tick. Same guarantees: the
 * same idempotent acks=all, one-in-flight librdkafka settings (lib/kafka.ts), the same
 * bounded memory (at most NATIVE_MAX_IN_FLIGHT ticks in flight, the rest waits in the reader)
 * and an exact account: every tick gets a delivery report in C, and the batch's one result
 * says how many were delivered with an offset, which failed (by index), and which were
 * acknowledged without an offset (implicit acks: unconfirmed, re-checked at the end as on
 * the node-rdkafka path, lib/delivery.ts).
 *
 * A batch goes out when it is full or, at the latest, on the next turn of the event loop,
 * so a paced producer's ticks wait no longer than they would in librdkafka's linger.
 */
import type { BatchDeliveryResult, BatchProducer, NativeKafka, ProduceBatch } from '../lib/kafka-batch.js';
import { BatchBuilder, logLibrdkafka, nativeConfig } from '../lib/kafka-batch.js';
import type { Logger } from '../lib/logger.js';
import type { Route } from './wire.js';

/** Ticks per produceBatch call: big enough to amortize the call, small next to the queue bound. */
export const NATIVE_BATCH_TICKS = 4096;

/** Ticks unsettled at most on the native path (at most producer.queueMaxMessages). */
export const NATIVE_MAX_IN_FLIGHT = 8 * NATIVE_BATCH_TICKS;

/** A tick the batch could not confirm: enough to log it and to look for it in its partition. */
export interface UnsettledTick {
  readonly partition: number;
  readonly symbol: string;
  readonly seq: number;
}

export interface NativeOutcome {
  readonly delivered: number;
  readonly failed: ReadonlyArray<UnsettledTick & { readonly reason: string; readonly code: number }>;
  readonly unconfirmed: readonly UnsettledTick[];
}

interface SentBatch {
  readonly batch: ProduceBatch;
  /** Route.symbolJson and seq of each tick, read only for failures and implicit acks. */
  readonly symbols: readonly string[];
  readonly seqs: readonly number[];
}

export class NativeTicks {
  private builder: BatchBuilder;
  private symbols: string[] = [];
  private seqs: number[] = [];
  /** Ticks handed to the addon whose batch has not settled. */
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private scheduled = false;
  private waiters: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly producer: BatchProducer,
    private readonly topic: string,
    private readonly maxInFlight: number,
    private readonly onOutcome: (o: NativeOutcome) => void,
    private readonly onError: (err: Error & { code?: number; isFatal?: boolean }) => void,
    private readonly onStats: (json: string) => void,
    private readonly logger: Logger,
  ) {
    this.builder = new BatchBuilder(Math.min(NATIVE_BATCH_TICKS, maxInFlight));
    // librdkafka's errors, statistics and log lines, read where the addon keeps them.
    this.timer = setInterval(() => this.drainErrors(), 200);
    this.timer.unref();
  }

  static create(
    addon: NativeKafka,
    settings: Readonly<Record<string, unknown>>,
    options: {
      topic: string;
      maxInFlight: number;
      logger: Logger;
      onOutcome: (o: NativeOutcome) => void;
      onError: (err: Error & { code?: number; isFatal?: boolean }) => void;
      /** librdkafka's statistics JSON of the ticks' client (statistics.interval.ms). */
      onStats: (json: string) => void;
    },
  ): NativeTicks {
    const producer = new addon.BatchProducer(nativeConfig(settings));
    return new NativeTicks(producer, options.topic, options.maxInFlight, options.onOutcome, options.onError, options.onStats, options.logger);
  }

  /** Ticks not yet settled: in the batch being built or in flight. */
  get queued(): number {
    return this.inFlight + this.builder.count;
  }

  get queueFullWaits(): number {
    return this.producer.stats().queueFullWaits;
  }

  /** Adds a tick to the batch; false when maxInFlight ticks are unsettled (await waitForSpace). */
  tryAdd(route: Route, value: Buffer, seq: number): boolean {
    if (this.queued >= this.maxInFlight) {
      this.send();
      return false;
    }
    this.builder.add(route.key, value, route.partition);
    this.symbols.push(route.symbolJson);
    this.seqs.push(seq);
    if (this.builder.full) this.send();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.send();
      });
    }
    return true;
  }

  /** Resolves once a batch has settled (space for more ticks). */
  waitForSpace(): Promise<void> {
    this.send();
    if (this.queued < this.maxInFlight) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Hands the batch being built to the addon. */
  send(): void {
    if (this.builder.count === 0) return;
    const sent: SentBatch = { batch: this.builder.take(), symbols: this.symbols, seqs: this.seqs };
    this.symbols = [];
    this.seqs = [];
    const { batch } = sent;
    this.inFlight += batch.count;
    const settled = this.producer
      .produceBatch(this.topic, batch.data, batch.keyStart, batch.keyLen, batch.valueStart, batch.valueLen, batch.partition)
      .then((r) => {
        this.settle(sent, r);
        this.builder.recycle(batch);
      })
      .finally(() => {
        this.inFlight -= batch.count;
        this.pending.delete(settled);
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      });
    this.pending.add(settled);
  }

  /**
   * Sends what is left, waits until librdkafka has a report for every tick (true) or the
   * timeout passes (false), and lets the results of settled batches be counted.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    this.send();
    const flushed = await this.producer.flush(timeoutMs);
    if (flushed) await Promise.all(this.pending);
    this.drainErrors();
    return flushed;
  }

  /** Closes the client; ticks still unsettled are reported failed (purged). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.send();
    await this.producer.close();
    await Promise.all(this.pending);
    this.drainErrors();
  }

  private settle(sent: SentBatch, r: BatchDeliveryResult): void {
    const tick = (i: number): UnsettledTick => ({ partition: sent.batch.partition[i]!, symbol: JSON.parse(sent.symbols[i]!) as string, seq: sent.seqs[i]! });
    this.onOutcome({
      delivered: r.delivered,
      failed: r.failed.map((f) => ({ ...tick(f.index), reason: f.message || f.name, code: f.code })),
      unconfirmed: r.unconfirmed.map(tick),
    });
  }

  private drainErrors(): void {
    for (const err of this.producer.takeErrors()) this.onError(err);
    const stats = this.producer.takeStats();
    if (stats !== null) this.onStats(stats);
    logLibrdkafka(this.producer.takeLogs(), this.logger);
  }
}
