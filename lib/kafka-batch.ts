/**
 * The batch-native Kafka path (issue 15): the project's own addon (native/) over the
 * librdkafka node-rdkafka built, moving messages in batches instead of one JS object per
 * message. This module loads it (or says why not, so the caller falls back to node-rdkafka)
 * and holds the pure logic around it, testable without a broker:
 *
 * - the batch layout: ONE buffer of keys and values plus Int32Arrays of where each key and
 *   value starts and how long it is (-1: null), the same for produced and consumed batches;
 * - `BatchBuilder`, which lays ticks out for produceBatch;
 * - `nativeConfig`, which turns the project's librdkafka settings (lib/kafka.ts) into the
 *   string map the addon takes, dropping node-rdkafka's own callback switches.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaClientKind } from './kafka-clients.js';

export { KAFKA_CLIENTS, type KafkaClientKind } from './kafka-clients.js';

/** A librdkafka error as the addon raises it: `code` and `name` are librdkafka's. */
export interface NativeKafkaError extends Error {
  readonly code: number;
  readonly name: string;
  readonly isFatal: boolean;
  readonly isRetriable: boolean;
}

export interface NativeTopicPartition {
  readonly topic: string;
  readonly partition: number;
  /** librdkafka's offset: >= 0, or a logical one (-2 beginning, -1 end, -1001 invalid/none). */
  readonly offset: number;
  readonly error?: NativeKafkaError;
}

/** What JS passes in: topic defaults to the subscribed one. */
export interface PartitionOffset {
  readonly topic?: string;
  readonly partition: number;
  readonly offset?: number;
}

/** The layout shared by produced and consumed batches. */
export interface BatchLayout {
  readonly data: Uint8Array;
  readonly keyStart: Int32Array;
  readonly keyLen: Int32Array;
  readonly valueStart: Int32Array;
  readonly valueLen: Int32Array;
}

export interface RebalanceEvent {
  /** assign/revoke: call assign()/unassign() once done; error: librdkafka already unassigned. */
  readonly kind: 'assign' | 'revoke' | 'error';
  readonly partitions: readonly NativeTopicPartition[];
  readonly error?: NativeKafkaError;
}

export interface ConsumedBatch extends BatchLayout {
  readonly count: number;
  readonly data: Buffer;
  readonly partition: Int32Array;
  readonly offset: Float64Array;
  /** Milliseconds since the epoch, -1 when the message has none. */
  readonly timestamp: Float64Array;
  /** Rebalances that arrived while consuming; the batch's messages were fetched before them. */
  readonly events: readonly RebalanceEvent[];
}

export interface BatchConsumer {
  subscribe(topic: string): void;
  /** Up to `max` messages, waiting at most `timeoutMs` (on a worker thread). One at a time. */
  consumeBatch(max: number, timeoutMs: number): Promise<ConsumedBatch>;
  assign(partitions: readonly PartitionOffset[]): void;
  unassign(): void;
  assignment(): NativeTopicPartition[];
  pause(partitions: readonly PartitionOffset[]): NativeTopicPartition[];
  resume(partitions: readonly PartitionOffset[]): NativeTopicPartition[];
  /**
   * Commits these offsets (the next offset to read) without blocking any thread; resolves
   * with per-partition results once the coordinator answered, which is seen while
   * consumeBatch polls (as node-rdkafka's offset_commit_cb); close() rejects what is left.
   */
  commit(offsets: readonly PartitionOffset[]): Promise<NativeTopicPartition[]>;
  committed(partitions: readonly PartitionOffset[], timeoutMs: number): Promise<NativeTopicPartition[]>;
  queryWatermarkOffsets(topic: string, partition: number, timeoutMs: number): Promise<{ low: number; high: number }>;
  /** Errors librdkafka reported since the last call (connection errors, fatal errors). */
  takeErrors(): NativeKafkaError[];
  takeLogs(): LogLine[];
  /** librdkafka's statistics JSON received since the last call (statistics.interval.ms), or null. */
  takeStats(): string | null;
  close(): Promise<void>;
}

/** A librdkafka log line (syslog level: 3 error, 4 warning, 6 info, 7 debug). */
export interface LogLine {
  readonly level: number;
  readonly facility: string;
  readonly message: string;
}

/** The addon's librdkafka log lines into a service's log: warnings and worse at warn, the rest at debug. */
export function logLibrdkafka(lines: readonly LogLine[], log: { warn(o: object, m: string): void; debug(o: object, m: string): void }): void {
  for (const line of lines) {
    const fields = { facility: line.facility, librdkafka: line.message, client: 'native' };
    if (line.level <= 4) log.warn(fields, 'librdkafka');
    else log.debug(fields, 'librdkafka');
  }
}

export interface BatchDeliveryResult {
  /** Messages acknowledged with an offset. */
  readonly delivered: number;
  /** Messages that failed, by index in the batch. */
  readonly failed: ReadonlyArray<NativeKafkaError & { readonly index: number }>;
  /** Indexes acknowledged without an offset (librdkafka's implicit ack, lib/delivery.ts). */
  readonly unconfirmed: readonly number[];
}

export interface BatchProducer {
  /**
   * Hands a batch to librdkafka (in call order, on the addon's sender thread) and resolves
   * when every message of it has a delivery report. The buffer and arrays must not change
   * until it settles. `partition`: one for all, one per message, or -1/undefined for the
   * configured partitioner.
   */
  produceBatch(
    topic: string,
    data: Uint8Array,
    keyStart: Int32Array,
    keyLen: Int32Array,
    valueStart: Int32Array,
    valueLen: Int32Array,
    partition?: number | Int32Array,
  ): Promise<BatchDeliveryResult>;
  /** true when every batch was handed over and librdkafka's queue emptied in time. */
  flush(timeoutMs: number): Promise<boolean>;
  stats(): { queued: number; queueFullWaits: number; pendingBatches: number };
  takeErrors(): NativeKafkaError[];
  takeLogs(): LogLine[];
  /** librdkafka's statistics JSON received since the last call (statistics.interval.ms), or null. */
  takeStats(): string | null;
  /** Stops; what was not yet delivered is reported failed (purged). */
  close(): Promise<void>;
}

export interface NativeKafka {
  readonly BatchConsumer: new (config: Record<string, string>) => BatchConsumer;
  readonly BatchProducer: new (config: Record<string, string>) => BatchProducer;
  readonly librdkafkaVersion: string;
}

export type NativeLoad = { readonly ok: true; readonly addon: NativeKafka; readonly path: string } | { readonly ok: false; readonly reason: string };

/** Where native/build.mjs puts the addon. */
export const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'build', 'Release', 'tickstream_native.node');

let loaded: NativeLoad | undefined;

/** Loads the addon once; `ok: false` says why (not built, or failed to load). */
export function loadNativeKafka(path: string = ADDON_PATH): NativeLoad {
  if (loaded && path === ADDON_PATH) return loaded;
  let result: NativeLoad;
  try {
    const addon = createRequire(import.meta.url)(path) as NativeKafka;
    result = { ok: true, addon, path };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    result = {
      ok: false,
      reason:
        e.code === 'MODULE_NOT_FOUND'
          ? `the addon is not built (${path}); build it with \`npm run build:native\``
          : `the addon at ${path} failed to load: ${e.message}`,
    };
  }
  if (path === ADDON_PATH) loaded = result;
  return result;
}

/** The client a service runs on: the one asked for, or node-rdkafka (and why) when the addon is missing. */
export function chooseKafkaClient(
  wanted: KafkaClientKind,
  warn: (fields: Record<string, unknown>, message: string) => void,
  load: () => NativeLoad = loadNativeKafka,
  /** Whether the fallback was logged already (once per process). */
  logged: { warned: boolean } = fallbackLogged,
): { kind: 'native'; addon: NativeKafka } | { kind: 'rdkafka' } {
  if (wanted === 'rdkafka') return { kind: 'rdkafka' };
  const l = load();
  if (l.ok) return { kind: 'native', addon: l.addon };
  if (!logged.warned) {
    logged.warned = true;
    warn({ reason: l.reason }, 'batch-native Kafka client unavailable; falling back to node-rdkafka');
  }
  return { kind: 'rdkafka' };
}
const fallbackLogged = { warned: false };

/** node-rdkafka's switches for its own JS callbacks: meaningless to librdkafka and the addon. */
const NODE_RDKAFKA_ONLY = new Set(['dr_cb', 'dr_msg_cb', 'event_cb', 'rebalance_cb', 'offset_commit_cb']);

/**
 * The project's librdkafka settings (lib/kafka.ts) as the string map the addon takes.
 * Values librdkafka parses from text (numbers, booleans) are written as text; a function
 * (a node-rdkafka callback) is refused naming the key.
 */
export function nativeConfig(settings: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (NODE_RDKAFKA_ONLY.has(key) || value === undefined) continue;
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    else throw new TypeError(`librdkafka setting ${key}: expected a string, number or boolean, got ${typeof value}`);
  }
  return out;
}

/** Key `i` of a batch as a view into its buffer (no copy), or null. */
export function keyAt(b: BatchLayout, i: number): Buffer | null {
  const len = b.keyLen[i]!;
  return len < 0 ? null : Buffer.from(b.data.buffer, b.data.byteOffset + b.keyStart[i]!, len);
}

/** Value `i` of a batch as a view into its buffer (no copy), or null. */
export function valueAt(b: BatchLayout, i: number): Buffer | null {
  const len = b.valueLen[i]!;
  return len < 0 ? null : Buffer.from(b.data.buffer, b.data.byteOffset + b.valueStart[i]!, len);
}

/** A batch laid out for produceBatch (arrays cut to its length; the buffer is its own). */
export interface ProduceBatch extends BatchLayout {
  readonly count: number;
  readonly partition: Int32Array;
}

/**
 * Lays messages out for produceBatch: keys and values copied into one growing buffer.
 * `take()` hands the batch over and starts a new one (the old buffer then belongs to the
 * batch until it settles, so it is never reused).
 */
export class BatchBuilder {
  private data: Buffer;
  private used = 0;
  private n = 0;
  private keyStart: Int32Array;
  private keyLen: Int32Array;
  private valueStart: Int32Array;
  private valueLen: Int32Array;
  private partition: Int32Array;
  // Unpooled buffers (allocUnsafeSlow): each batch owns its whole ArrayBuffer, which
  // `recycle` takes back; a pooled one would share Node's slab with unrelated buffers.
  private readonly free: Array<{ data: Buffer; keyStart: Int32Array; keyLen: Int32Array; valueStart: Int32Array; valueLen: Int32Array; partition: Int32Array }> = [];

  constructor(
    /** Messages per batch at most (`full` turns true there). */
    readonly maxMessages: number,
    private readonly initialBytes = 64 * 1024,
    /** Settled batches' storage kept for reuse at most. */
    private readonly maxFree = 64,
  ) {
    if (!Number.isInteger(maxMessages) || maxMessages < 1) throw new RangeError(`maxMessages must be an integer >= 1, got ${maxMessages}`);
    this.data = Buffer.allocUnsafeSlow(initialBytes);
    this.keyStart = new Int32Array(maxMessages);
    this.keyLen = new Int32Array(maxMessages);
    this.valueStart = new Int32Array(maxMessages);
    this.valueLen = new Int32Array(maxMessages);
    this.partition = new Int32Array(maxMessages);
  }

  get count(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n >= this.maxMessages;
  }

  /** Adds one message; -1 as partition lets librdkafka's partitioner pick. */
  add(key: Uint8Array | null, value: Uint8Array | null, partition = -1): void {
    if (this.full) throw new RangeError(`batch is full (${this.maxMessages} messages)`);
    const need = (key?.length ?? 0) + (value?.length ?? 0);
    if (this.used + need > this.data.length) this.grow(this.used + need);
    const i = this.n;
    this.keyStart[i] = this.used;
    this.keyLen[i] = key ? key.length : -1;
    if (key) this.used += copyInto(this.data, this.used, key);
    this.valueStart[i] = this.used;
    this.valueLen[i] = value ? value.length : -1;
    if (value) this.used += copyInto(this.data, this.used, value);
    this.partition[i] = partition;
    this.n += 1;
  }

  /**
   * The batch so far; the builder starts empty with other storage: a settled batch's, when
   * one was given back (`recycle`), so a steady stream reuses a fixed set of buffers
   * instead of leaving garbage for the collector (flat memory).
   */
  take(): ProduceBatch {
    const n = this.n;
    const batch: ProduceBatch = {
      count: n,
      data: this.data.subarray(0, this.used),
      keyStart: this.keyStart.subarray(0, n),
      keyLen: this.keyLen.subarray(0, n),
      valueStart: this.valueStart.subarray(0, n),
      valueLen: this.valueLen.subarray(0, n),
      partition: this.partition.subarray(0, n),
    };
    const storage = this.free.pop();
    this.data = storage?.data ?? Buffer.allocUnsafeSlow(Math.max(this.initialBytes, this.used));
    this.keyStart = storage?.keyStart ?? new Int32Array(this.maxMessages);
    this.keyLen = storage?.keyLen ?? new Int32Array(this.maxMessages);
    this.valueStart = storage?.valueStart ?? new Int32Array(this.maxMessages);
    this.valueLen = storage?.valueLen ?? new Int32Array(this.maxMessages);
    this.partition = storage?.partition ?? new Int32Array(this.maxMessages);
    this.used = 0;
    this.n = 0;
    return batch;
  }

  /** Gives a settled batch's storage back for reuse (never one still in flight). */
  recycle(batch: ProduceBatch): void {
    if (this.free.length >= this.maxFree) return;
    const whole = (a: Int32Array): Int32Array => new Int32Array(a.buffer, a.byteOffset, this.maxMessages);
    this.free.push({
      data: Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.buffer.byteLength - batch.data.byteOffset),
      keyStart: whole(batch.keyStart),
      keyLen: whole(batch.keyLen),
      valueStart: whole(batch.valueStart),
      valueLen: whole(batch.valueLen),
      partition: whole(batch.partition),
    });
  }

  private grow(atLeast: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(atLeast, this.data.length * 2));
    this.data.copy(next, 0, 0, this.used);
    this.data = next;
  }
}

/** Copies small keys byte by byte: cheaper than Buffer#set's call for a few bytes. */
function copyInto(target: Buffer, at: number, source: Uint8Array): number {
  const len = source.length;
  if (len <= 16) {
    for (let j = 0; j < len; j++) target[at + j] = source[j]!;
  } else {
    target.set(source, at);
  }
  return len;
}
