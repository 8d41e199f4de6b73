/**
 * The acknowledgement log (`producer.ackLog`): one JSON line per delivery report of the
 * ticks topic, for audits that must know exactly which ticks Kafka acknowledged and where
 * (the chaos run compares it with the lake, docs/chaos.md). Off by default: it needs a
 * delivery report per message, which costs about half the producer's throughput
 * (docs/producer.md, "Delivery accounting").
 *
 * A line: {"s":"delivered"|"failed"|"unconfirmed","p":partition,"o":offset,"sym":symbol,"seq":seq}
 * (offset -1001 when the report had none; lib/delivery.ts classifies the report).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { DeliveryOutcome } from '../lib/delivery.js';

export interface AckRecord {
  readonly s: DeliveryOutcome;
  readonly p: number;
  readonly o: number;
  readonly sym: string;
  readonly seq: number;
}

/** The line for one report. Pure. */
export function ackLine(status: DeliveryOutcome, partition: number, offset: number | undefined, symbol: string, seq: number): string {
  return `${JSON.stringify({ s: status, p: partition, o: offset ?? -1001, sym: symbol, seq } satisfies AckRecord)}\n`;
}

/** Appends report lines to a file (buffered by the stream; `close` writes the rest). */
export class AckLog {
  private readonly stream: WriteStream;
  private error: Error | null = null;

  constructor(readonly file: string) {
    this.stream = createWriteStream(file, { flags: 'a' });
    this.stream.on('error', (err) => (this.error = err));
  }

  record(status: DeliveryOutcome, partition: number, offset: number | undefined, symbol: string, seq: number): void {
    this.stream.write(ackLine(status, partition, offset, symbol, seq));
  }

  /** Writes what is buffered and closes the file; rejects when a write failed. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.end(() => (this.error ? reject(new Error(`writing the ack log ${this.file}: ${this.error.message}`)) : resolve()));
    });
  }
}
