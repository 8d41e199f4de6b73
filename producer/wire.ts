/**
 * What a tick looks like on the wire, made fast: the partition of a symbol and the JSON
 * value. Both are per-message work in the hot loop, so both are cached per symbol.
 *
 * - Partition: Kafka's default partitioner for keyed records (murmur2 of the key, as the
 *   Java client and librdkafka's `murmur2_random` compute it), computed here once per
 *   symbol. Passing the partition to produce() costs less than letting librdkafka hash
 *   every key, and keeps a symbol on the partition any Java producer would pick.
 * - Value: byte for byte what lib/tick.ts `encodeTick` writes (the unit tests compare
 *   them), built from cached pieces instead of an intermediate object.
 */
import type { Tick } from '../lib/tick.js';

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4]! & 0xff) | ((data[i4 + 1]! & 0xff) << 8) | ((data[i4 + 2]! & 0xff) << 16) | ((data[i4 + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  // The tail bytes, as Java's fall-through switch mixes them.
  const tail = length & ~3;
  const rest = length % 4;
  if (rest >= 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives a key. */
export function partitionOf(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Per-symbol pieces of the message: key bytes, partition, JSON of the symbol. */
export interface Route {
  readonly key: Buffer;
  readonly partition: number;
  readonly symbolJson: string;
  /** `{"symbol":<json>,"ts":` as UTF-8, the start of every value of this symbol. */
  readonly prefix: Buffer;
  /** Next per-symbol sequence number (the pipeline owns it; kept here to save a lookup per tick). */
  seq: number;
}

export class Router {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly partitions: number) {
    if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partition count must be >= 1, got ${partitions}`);
  }

  route(symbol: string): Route {
    let r = this.routes.get(symbol);
    if (!r) {
      const key = Buffer.from(symbol, 'utf8');
      const symbolJson = JSON.stringify(symbol);
      r = { key, partition: partitionOf(key, this.partitions), symbolJson, prefix: Buffer.from(`{"symbol":${symbolJson},"ts":`, 'utf8'), seq: 0 };
      this.routes.set(symbol, r);
    }
    return r;
  }
}

const PRICE = Buffer.from(',"price":');
const VOLUME = Buffer.from(',"volume":');
const SEQ = Buffer.from(',"seq":');

/** Writes the decimal digits of a safe integer at `pos`; returns the position after them. */
function writeInteger(buf: Buffer, pos: number, value: number): number {
  let n = value;
  if (n < 0) {
    buf[pos++] = 45; // '-'
    n = -n;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  const end = pos + digits;
  for (let i = end - 1; i >= pos; i--) {
    const q = Math.floor(n / 10);
    buf[i] = 48 + (n - q * 10);
    n = q;
  }
  return end;
}

/**
 * The same bytes as lib/tick.ts `encodeTick` (the wire contract; the unit tests compare them), written
 * straight into one reusable buffer: cached UTF-8 pieces for the symbol and the optional
 * fields, integers as digits, only the price formatted by JavaScript (its shortest
 * round-trip form is what JSON.stringify writes). No string or buffer per tick. The
 * returned view is valid until the next call.
 */
export class TickWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private views: Buffer[] = [];
  private lastExchange: string | undefined = undefined;
  private lastCurrency: string | undefined = undefined;
  private lastSource: string | undefined = undefined;
  private middle = Buffer.alloc(0);

  write(tick: Tick, route: Route): Buffer {
    if (tick.exchange !== this.lastExchange || tick.currency !== this.lastCurrency || tick.source !== this.lastSource) {
      this.lastExchange = tick.exchange;
      this.lastCurrency = tick.currency;
      this.lastSource = tick.source;
      this.middle = Buffer.from(
        (tick.exchange !== undefined ? `,"exchange":${JSON.stringify(tick.exchange)}` : '') +
          (tick.currency !== undefined ? `,"currency":${JSON.stringify(tick.currency)}` : '') +
          (tick.source !== undefined ? `,"source":${JSON.stringify(tick.source)}` : ''),
        'utf8',
      );
    }
    const price = String(tick.price);
    // Fixed parts + three integers of at most 17 characters + the price.
    const worst = route.prefix.length + this.middle.length + price.length + 3 * 17 + 32;
    if (worst > this.buffer.length) {
      this.buffer = Buffer.allocUnsafe(worst * 2);
      this.views = [];
    }
    const buf = this.buffer;
    buf.set(route.prefix, 0);
    let pos = writeInteger(buf, route.prefix.length, tick.ts);
    buf.set(PRICE, pos);
    pos += PRICE.length;
    pos += buf.write(price, pos, 'latin1'); // digits, '.', 'e', '+', '-': ASCII
    buf.set(VOLUME, pos);
    pos = writeInteger(buf, pos + VOLUME.length, tick.volume);
    buf.set(this.middle, pos);
    pos += this.middle.length;
    if (tick.seq !== undefined) {
      buf.set(SEQ, pos);
      pos = writeInteger(buf, pos + SEQ.length, tick.seq);
    }
    buf[pos++] = 125; // '}'
    let view = this.views[pos];
    if (view === undefined) {
      view = buf.subarray(0, pos);
      this.views[pos] = view;
    }
    return view;
  }
}
