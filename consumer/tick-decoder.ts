/**
 * Decoding a message value into a checked tick, fast.
 *
 * `decodeTick` (lib/tick.ts) is the contract: UTF-8 to a string, `JSON.parse`, `checkTick`,
 * a fresh tick object. At a hundred thousand messages a second that is ~2-3 µs of the
 * consuming thread per tick and two objects for the garbage collector. Almost every message
 * has the producer's shape, `{"symbol":"AAPL","ts":1709560800000,"price":106.93,...}`
 * (`tickJson`): flat, ASCII, no escapes, no exponents. `TickDecoder` reads exactly that
 * shape straight from the bytes into one reused result and hands everything else to
 * `decodeTick`, so the contract stays the one place that decides.
 *
 * The fast path only ever says "a valid tick"; it never produces a rejection reason. It
 * accepts a message only when `decodeTick` would accept it with the very same values, and
 * falls back otherwise (anything unusual: whitespace, escapes, non-ASCII, `null`, unknown or
 * repeated keys, exponents, more than 15 significant digits, any failed check). Numbers are
 * exact: a decimal of at most 15 digits is an integer below 2^53 divided by a power of ten
 * below 10^22, both exact doubles, and one IEEE division rounds correctly, which is what
 * `JSON.parse` returns too (Clinger's fast path). The unit test holds it to `decodeTick` on
 * generated and mutated inputs.
 *
 * The returned check (and its tick) is reused by the next call: read it before decoding the
 * next message, never keep it. `PartitionWriter.add` copies what it needs.
 */
import { decodeTick, MAX_SYMBOL_LENGTH, MAX_TS, MIN_TS, type MutableTick, type TickCheck } from '../lib/tick.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const SPACE = 0x20;

/** Field bits: which keys a message had (a repeated key falls back: JSON.parse keeps the last). */
const SYMBOL = 1;
const TS = 2;
const PRICE = 4;
const VOLUME = 8;
const EXCHANGE = 16;
const CURRENCY = 32;
const SOURCE = 64;
const SEQ = 128;
const REQUIRED = SYMBOL | TS | PRICE | VOLUME;

/** Exact powers of ten up to 10^15 (the most fraction digits 15 significant digits allow). */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const MAX_DIGITS = 15;

export class TickDecoder {
  /** Messages the fast path took, and those that went through `decodeTick` (for tests and profiling). */
  fast = 0;
  slow = 0;
  private readonly tick: MutableTick = { symbol: '', ts: 0, price: 0, volume: 0 };
  private readonly ok: TickCheck = { ok: true, tick: this.tick };
  /** Where the scanner is in the current message. */
  private pos = 0;
  private readonly strings = new StringCache(4096);

  decode(value: Buffer | null | undefined): TickCheck {
    if (value && value.length > 0 && this.scan(value)) {
      this.fast++;
      return this.ok;
    }
    this.slow++;
    return decodeTick(value);
  }

  /** Fills `this.tick` from `b` and returns true, or returns false to fall back. */
  private scan(b: Buffer): boolean {
    const t = this.tick;
    t.exchange = undefined;
    t.currency = undefined;
    t.source = undefined;
    t.seq = undefined;
    const end = b.length;
    if (b[0] !== OPEN || b[end - 1] !== CLOSE) return false;
    this.pos = 1;
    let seen = 0;
    for (;;) {
      const field = this.key(b);
      if (field === 0 || (seen & field) !== 0) return false;
      seen |= field;
      if (b[this.pos++] !== COLON) return false;
      if (field === SYMBOL || field === EXCHANGE || field === CURRENCY || field === SOURCE) {
        const s = this.string(b);
        if (s === null) return false;
        if (field === SYMBOL) t.symbol = s;
        // checkTick drops empty optional strings.
        else if (field === EXCHANGE) t.exchange = s || undefined;
        else if (field === CURRENCY) t.currency = s || undefined;
        else t.source = s || undefined;
      } else {
        const n = this.number(b);
        if (Number.isNaN(n)) return false;
        if (field === TS) t.ts = n;
        else if (field === PRICE) t.price = n;
        else if (field === VOLUME) t.volume = n;
        else t.seq = n;
      }
      const c = b[this.pos++];
      if (c === CLOSE) break;
      if (c !== COMMA) return false;
    }
    if (this.pos !== end || (seen & REQUIRED) !== REQUIRED) return false;
    // The checks of checkTick, for the values this path can produce (ASCII strings without
    // control characters, finite numbers); any failure falls back so decodeTick gives the reason.
    const sym = t.symbol;
    if (sym.length === 0 || sym.length > MAX_SYMBOL_LENGTH) return false;
    if (sym.charCodeAt(0) === SPACE || sym.charCodeAt(sym.length - 1) === SPACE) return false; // checkTick trims
    if (!Number.isInteger(t.ts) || t.ts < MIN_TS || t.ts >= MAX_TS) return false;
    if (!(t.price > 0)) return false;
    if (!Number.isSafeInteger(t.volume) || t.volume < 0) return false;
    if (t.seq !== undefined && (!Number.isSafeInteger(t.seq) || t.seq < 0)) return false;
    return true;
  }

  /** A quoted key among the tick's fields: its bit, or 0 (unknown key, or not a plain key). */
  private key(b: Buffer): number {
    let p = this.pos;
    if (b[p++] !== QUOTE) return 0;
    const start = p;
    while (p < b.length && b[p] !== QUOTE) p++;
    this.pos = p + 1;
    const len = p - start;
    switch (b[start]) {
      case 0x73: // s
        return equals(b, start, len, 'symbol') ? SYMBOL : equals(b, start, len, 'source') ? SOURCE : equals(b, start, len, 'seq') ? SEQ : 0;
      case 0x74: // t
        return equals(b, start, len, 'ts') ? TS : 0;
      case 0x70: // p
        return equals(b, start, len, 'price') ? PRICE : 0;
      case 0x76: // v
        return equals(b, start, len, 'volume') ? VOLUME : 0;
      case 0x65: // e
        return equals(b, start, len, 'exchange') ? EXCHANGE : 0;
      case 0x63: // c
        return equals(b, start, len, 'currency') ? CURRENCY : 0;
      default:
        return 0;
    }
  }

  /** A quoted string of printable ASCII without escapes, or null. */
  private string(b: Buffer): string | null {
    let p = this.pos;
    if (b[p++] !== QUOTE) return null;
    const start = p;
    let hash = 0;
    for (;;) {
      const c = b[p];
      if (c === undefined) return null;
      if (c === QUOTE) break;
      // Control characters, DEL, non-ASCII (UTF-8) and escapes are decodeTick's business.
      if (c < SPACE || c > 0x7e || c === BACKSLASH) return null;
      hash = (Math.imul(hash, 31) + c) | 0;
      p++;
    }
    this.pos = p + 1;
    return this.strings.get(b, start, p, hash);
  }

  /** A JSON number of the form -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 15 digits, or NaN. */
  private number(b: Buffer): number {
    let p = this.pos;
    const negative = b[p] === MINUS;
    if (negative) p++;
    let mantissa = 0;
    let digits = 0;
    let fraction = 0;
    const first = b[p];
    if (first === ZERO) {
      p++;
      digits = 1;
    } else {
      for (let c = b[p]; c !== undefined && c >= ZERO && c <= 0x39; c = b[++p]) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
      }
      if (digits === 0) return NaN;
    }
    if (b[p] === DOT) {
      p++;
      for (let c = b[p]; c !== undefined && c >= ZERO && c <= 0x39; c = b[++p]) {
        mantissa = mantissa * 10 + (c - ZERO);
        digits++;
        fraction++;
      }
      if (fraction === 0) return NaN;
    }
    // Exponents, and digits past what a double holds exactly, go to JSON.parse.
    if (digits > MAX_DIGITS) return NaN;
    this.pos = p;
    const value = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
    return negative ? -value : value;
  }
}

/** Whether bytes [start, start + len) of `b` spell the ASCII `word` (no string is created). */
function equals(b: Buffer, start: number, len: number, word: string): boolean {
  if (len !== word.length) return false;
  for (let i = 0; i < len; i++) if (b[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * The strings of recent messages by their bytes. Symbols, exchanges and currencies repeat
 * all the time; handing out the same string instance saves creating one per field and lets
 * the column dictionary's Map find it by its cached hash. Direct-mapped and bounded: a
 * collision just replaces the entry.
 */
class StringCache {
  private readonly values: Array<string | undefined>;
  private readonly mask: number;

  constructor(size: number) {
    this.values = new Array<string | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  get(b: Buffer, start: number, end: number, hash: number): string {
    const slot = hash & this.mask;
    const cached = this.values[slot];
    if (cached !== undefined && cached.length === end - start) {
      let same = true;
      for (let i = 0; i < cached.length && same; i++) same = cached.charCodeAt(i) === b[start + i];
      if (same) return cached;
    }
    const s = b.toString('latin1', start, end);
    this.values[slot] = s;
    return s;
  }
}
