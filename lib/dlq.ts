/**
 * Dead letters: what goes to `ticks.dlq` when a CSV row or a Kafka message fails
 * validation. One format for both services, so that one consumer of the DLQ can read
 * what the producer rejected and what the sink rejected.
 *
 * The value is UTF-8 JSON (`DeadLetter`); the same facts are repeated in headers so that
 * tools that only look at headers (kcat -f '%h') can filter without parsing the value.
 * The key is the symbol when one was readable, so dead letters of one symbol stay in order.
 */

/** Where the rejected input came from: a line of a file, or a message of a topic. */
export type DeadLetterOrigin =
  | { readonly kind: 'file'; readonly file: string; readonly line: number }
  | { readonly kind: 'kafka'; readonly topic: string; readonly partition: number; readonly offset: number };

export interface DeadLetter {
  readonly reason: string;
  readonly origin: DeadLetterOrigin;
  /** The rejected input as text (the CSV line, or the message value), cut to `MAX_RAW_CHARS`. */
  readonly raw: string;
  /** Which service rejected it: `producer` or `sink`. */
  readonly stage: 'producer' | 'sink';
  /** When it was rejected, ISO 8601 UTC. */
  readonly at: string;
}

export const MAX_RAW_CHARS = 8192;

export const DLQ_HEADERS = {
  reason: 'tickstream.reason',
  origin: 'tickstream.origin',
  stage: 'tickstream.stage',
} as const;

export interface DeadLetterMessage {
  readonly key: Buffer | null;
  readonly value: Buffer;
  /** In the shape node-rdkafka's `produce` takes. */
  readonly headers: Array<Record<string, string>>;
}

export function deadLetter(
  stage: DeadLetter['stage'],
  reason: string,
  origin: DeadLetterOrigin,
  raw: string | Buffer | null | undefined,
  now: Date = new Date(),
): DeadLetter {
  const text = raw === null || raw === undefined ? '' : typeof raw === 'string' ? raw : raw.toString('utf8');
  return {
    reason,
    origin,
    raw: text.length > MAX_RAW_CHARS ? text.slice(0, MAX_RAW_CHARS) : text,
    stage,
    at: now.toISOString(),
  };
}

export function describeOrigin(origin: DeadLetterOrigin): string {
  return origin.kind === 'file'
    ? `${origin.file}:${origin.line}`
    : `${origin.topic}/${origin.partition}@${origin.offset}`;
}

export function encodeDeadLetter(letter: DeadLetter, symbol?: string | null): DeadLetterMessage {
  return {
    key: symbol ? Buffer.from(symbol, 'utf8') : null,
    value: Buffer.from(JSON.stringify(letter), 'utf8'),
    headers: [
      { [DLQ_HEADERS.reason]: letter.reason },
      { [DLQ_HEADERS.origin]: describeOrigin(letter.origin) },
      { [DLQ_HEADERS.stage]: letter.stage },
    ],
  };
}

export function decodeDeadLetter(value: Buffer | string): DeadLetter {
  const parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as DeadLetter;
  if (typeof parsed.reason !== 'string' || typeof parsed.origin !== 'object') {
    throw new Error('not a tickstream dead letter');
  }
  return parsed;
}
