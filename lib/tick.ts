/**
 * The tick: the one record type that flows through `ticks`, as the design's data contract
 * defines it. Validation lives here so that the producer (before publishing) and the sink
 * (before writing) apply exactly the same rules, and a tick that breaks them never enters
 * `ticks` or the lake; it goes to `ticks.dlq` with the reason.
 */

export interface Tick {
  /** Instrument symbol, e.g. `AAPL` or `^GSPC`; the Kafka message key. */
  readonly symbol: string;
  /** Event time, epoch milliseconds UTC (negative before 1970: index data starts in 1965). */
  readonly ts: number;
  /** Trade price, > 0. */
  readonly price: number;
  /** Traded quantity, integer >= 0. */
  readonly volume: number;
  readonly exchange?: string;
  readonly currency?: string;
  /** Where the tick came from: `csv`, `sim`, ... */
  readonly source?: string;
  /** Per-symbol sequence number assigned by the producer. */
  readonly seq?: number;
}

/** A tick while it is being built (the checks and the fast decoder fill one in place). */
export type MutableTick = { -readonly [K in keyof Tick]: Tick[K] };

export type TickCheck = { readonly ok: true; readonly tick: Tick } | { readonly ok: false; readonly reason: string };

/** Event times outside this window are data errors (a seconds/millis mix-up, a zero date). */
export const MIN_TS = Date.UTC(1900, 0, 1);
export const MAX_TS = Date.UTC(2200, 0, 1);
export const MAX_SYMBOL_LENGTH = 64;

const OPTIONAL_STRINGS = ['exchange', 'currency', 'source'] as const;

/**
 * Checks an untrusted value (parsed JSON) against the tick contract and returns a
 * normalized tick holding only the known fields. Unknown fields are dropped rather than
 * rejected so that a newer producer can add a field without stopping an older sink.
 */
export function checkTick(value: unknown): TickCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('tick is not a JSON object');
  }
  const v = value as Record<string, unknown>;

  if (v.symbol === undefined || v.symbol === null) return fail('symbol is missing');
  if (typeof v.symbol !== 'string') return fail('symbol is not a string');
  const symbol = v.symbol.trim();
  if (symbol.length === 0) return fail('symbol is empty');
  if (symbol.length > MAX_SYMBOL_LENGTH) return fail(`symbol is longer than ${MAX_SYMBOL_LENGTH} characters`);
  // Control characters in a key break logs, file listings and SQL literals downstream.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(symbol)) return fail('symbol contains control characters');

  if (v.ts === undefined || v.ts === null) return fail('ts is missing');
  if (typeof v.ts !== 'number' || !Number.isInteger(v.ts)) return fail('ts is not an integer (epoch milliseconds)');
  if (v.ts < MIN_TS || v.ts >= MAX_TS) return fail(`ts ${v.ts} is outside 1900-01-01..2200-01-01`);

  if (v.price === undefined || v.price === null) return fail('price is missing');
  if (typeof v.price !== 'number' || !Number.isFinite(v.price)) return fail('price is not a finite number');
  if (v.price <= 0) return fail(`price ${v.price} is not positive`);

  if (v.volume === undefined || v.volume === null) return fail('volume is missing');
  if (typeof v.volume !== 'number' || !Number.isSafeInteger(v.volume)) return fail('volume is not an integer');
  if (v.volume < 0) return fail(`volume ${v.volume} is negative`);

  const tick: MutableTick = { symbol, ts: v.ts, price: v.price, volume: v.volume };
  for (const key of OPTIONAL_STRINGS) {
    const field = v[key];
    if (field === undefined || field === null) continue;
    if (typeof field !== 'string') return fail(`${key} is not a string`);
    if (field.length > 0) tick[key] = field;
  }
  if (v.seq !== undefined && v.seq !== null) {
    if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 0) return fail('seq is not an integer >= 0');
    tick.seq = v.seq;
  }
  return { ok: true, tick };
}

/** Decodes a Kafka message value (UTF-8 JSON) and checks it. */
export function decodeTick(value: Buffer | string | null | undefined): TickCheck {
  if (value === null || value === undefined || value.length === 0) return fail('message has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (err) {
    return fail(`value is not valid JSON: ${(err as Error).message}`);
  }
  return checkTick(parsed);
}

/** The wire form: UTF-8 JSON with a stable field order (cheap to diff, cheap to compress). */
export function encodeTick(tick: Tick): Buffer {
  return Buffer.from(tickJson(tick), 'utf8');
}

export function tickJson(tick: Tick): string {
  const ordered: Record<string, unknown> = { symbol: tick.symbol, ts: tick.ts, price: tick.price, volume: tick.volume };
  if (tick.exchange !== undefined) ordered.exchange = tick.exchange;
  if (tick.currency !== undefined) ordered.currency = tick.currency;
  if (tick.source !== undefined) ordered.source = tick.source;
  if (tick.seq !== undefined) ordered.seq = tick.seq;
  return JSON.stringify(ordered);
}

function fail(reason: string): TickCheck {
  return { ok: false, reason };
}
