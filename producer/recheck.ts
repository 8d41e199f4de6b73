/**
 * Re-checking implicitly acknowledged ticks (lib/delivery.ts, docs/producer.md "Implicit
 * acknowledgements"): librdkafka names them by partition and message id (its count of the
 * messages this client sent to the partition, from 1), so the producer remembers which tick
 * each recent message id was, and after the final flush reads the partition back from where
 * it ended when the run started: a tick found there was written (delivered after all), a
 * tick not found was not (failed). Nothing is re-sent: the sink keeps every Kafka offset,
 * so only a tick known to be absent could be re-sent without a duplicate, and the producer
 * does not keep the bytes of the ticks it sent.
 */
import Kafka from 'node-rdkafka';
import { connectClient, consumeBatch, disconnectClient, highWatermark } from '../lib/rdkafka.js';
import { consumerSettings } from '../lib/kafka.js';
import type { KafkaConfig } from '../lib/settings.js';

/** A tick as the re-check looks for it. */
export interface SentTick {
  readonly partition: number;
  readonly msgid: number;
  readonly symbol: string;
  readonly seq: number;
}

const SEQ_TAIL = Buffer.from(',"seq":');

/**
 * The `seq` of a tick value as lib/tick.ts writes it (`...,"seq":N}`, seq last), or -1.
 * Reads only the tail of the buffer: this runs for every tick.
 */
export function seqOfValue(value: Uint8Array): number {
  let i = value.length - 2; // before the closing brace
  if (i < 0 || value[value.length - 1] !== 0x7d) return -1;
  let seq = 0;
  let scale = 1;
  while (i >= 0 && value[i]! >= 0x30 && value[i]! <= 0x39) {
    seq += (value[i]! - 0x30) * scale;
    scale *= 10;
    i -= 1;
  }
  if (scale === 1) return -1;
  const start = i - SEQ_TAIL.length + 1;
  if (start < 0) return -1;
  for (let j = 0; j < SEQ_TAIL.length; j++) if (value[start + j] !== SEQ_TAIL[j]) return -1;
  return seq;
}

/**
 * The last `capacity` ticks sent, with the message id librdkafka gives each (per partition,
 * from 1, in produce order). The capacity must exceed the messages librdkafka can hold
 * unacknowledged (its queue bound), since an implicit ack names messages still in its queue;
 * a message id that fell out of the log is reported as forgotten (it stays unconfirmed).
 */
export class SentLog {
  private readonly partitions: Int32Array;
  private readonly msgids: Float64Array;
  private readonly seqs: Float64Array;
  /** The symbol as JSON (Route.symbolJson: already a string, so recording allocates nothing). */
  private readonly symbols: Array<string | undefined>;
  private readonly counts: number[] = [];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    this.partitions = new Int32Array(capacity).fill(-1);
    this.msgids = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.symbols = new Array<string | undefined>(capacity);
  }

  /** Notes one message handed to librdkafka for `partition` (call it only when produce accepted it). */
  record(partition: number, symbolJson: string, seq: number): void {
    const msgid = (this.counts[partition] ?? 0) + 1;
    this.counts[partition] = msgid;
    const i = this.next;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    this.partitions[i] = partition;
    this.msgids[i] = msgid;
    this.seqs[i] = seq;
    this.symbols[i] = symbolJson;
  }

  /** The ticks of `partition` with message ids first..last, and how many of them are no longer known. */
  find(partition: number, first: number, last: number): { ticks: SentTick[]; forgotten: number } {
    const ticks: SentTick[] = [];
    for (let i = 0; i < this.capacity; i++) {
      if (this.partitions[i] !== partition) continue;
      const msgid = this.msgids[i]!;
      if (msgid >= first && msgid <= last) ticks.push({ partition, msgid, symbol: JSON.parse(this.symbols[i]!) as string, seq: this.seqs[i]! });
    }
    ticks.sort((a, b) => a.msgid - b.msgid);
    return { ticks, forgotten: last - first + 1 - ticks.length };
  }
}

export function tickId(symbol: string, seq: number): string {
  return `${symbol}\u0000${seq}`;
}

/**
 * Reads `topic`/`partition` from offset `from` up to its current end and returns which of
 * the `wanted` ticks (tickId) are there. Assigns the partition (no group join, no commit).
 * Throws when the read does not finish within `timeoutMs`.
 */
export async function findTicks(kafka: KafkaConfig, topic: string, partition: number, from: number, wanted: ReadonlySet<string>, timeoutMs: number): Promise<Set<string>> {
  const found = new Set<string>();
  const consumer = new Kafka.KafkaConsumer(
    { ...consumerSettings(kafka, `tickstream-producer-recheck-${process.pid}`, 'producer-recheck') },
    { 'auto.offset.reset': 'earliest' },
  );
  await connectClient(consumer, Math.min(timeoutMs, 30_000));
  try {
    const end = await highWatermark(consumer, topic, partition, Math.min(timeoutMs, 10_000));
    if (end <= from) return found;
    consumer.assign([{ topic, partition, offset: from }]);
    const deadline = Date.now() + timeoutMs;
    let position = from;
    while (position < end && found.size < wanted.size) {
      if (Date.now() > deadline) throw new Error(`re-reading ${topic}[${partition}] from ${from} to ${end} did not finish within ${timeoutMs} ms (at ${position})`);
      const batch = await consumeBatch(consumer, 1000);
      for (const m of batch) {
        position = Math.max(position, m.offset + 1);
        if (!m.value) continue;
        try {
          const t = JSON.parse(m.value.toString('utf8')) as { symbol?: unknown; seq?: unknown };
          if (typeof t.symbol === 'string' && typeof t.seq === 'number') {
            const id = tickId(t.symbol, t.seq);
            if (wanted.has(id)) found.add(id);
          }
        } catch {
          // not a tick: cannot be one of ours
        }
      }
    }
    return found;
  } finally {
    await disconnectClient(consumer);
  }
}
