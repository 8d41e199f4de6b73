/**
 * A batch's ticks held as columns: growable typed arrays plus one string dictionary.
 *
 * Why not an array of row objects: at a few hundred thousand ticks a second, one object per
 * tick is what the garbage collector spends its time on. Here a tick costs ~70 bytes in
 * typed arrays, strings of the same value (symbol, exchange, ...) are stored once, and
 * encoding to Parquet reads the arrays directly (`format/parquet.ts`).
 */
import type { Tick } from '../lib/tick.js';
import type { Columns } from './format/parquet.js';

/** Bytes one row occupies in the arrays below (6 float64 + 4 int32). */
export const BYTES_PER_ROW = 6 * 8 + 4 * 4;

export class TickColumns {
  length = 0;
  ts: Float64Array;
  price: Float64Array;
  volume: Float64Array;
  /** NaN when the tick has no seq. */
  seq: Float64Array;
  offset: Float64Array;
  kafkaTs: Float64Array;
  /** Dictionary ids into `dict`; -1 for null. */
  symbol: Int32Array;
  exchange: Int32Array;
  currency: Int32Array;
  source: Int32Array;
  readonly dict: string[] = [];
  private readonly ids = new Map<string, number>();

  constructor(capacity = 1024) {
    this.ts = new Float64Array(capacity);
    this.price = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.offset = new Float64Array(capacity);
    this.kafkaTs = new Float64Array(capacity);
    this.symbol = new Int32Array(capacity);
    this.exchange = new Int32Array(capacity);
    this.currency = new Int32Array(capacity);
    this.source = new Int32Array(capacity);
  }

  get capacity(): number {
    return this.ts.length;
  }

  /** Memory held by the arrays (what backpressure accounts for). */
  get bytes(): number {
    return this.capacity * BYTES_PER_ROW;
  }

  append(tick: Tick, offset: number, kafkaTs: number): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.ts[i] = tick.ts;
    this.price[i] = tick.price;
    this.volume[i] = tick.volume;
    this.seq[i] = tick.seq ?? NaN;
    this.offset[i] = offset;
    this.kafkaTs[i] = kafkaTs;
    this.symbol[i] = this.id(tick.symbol);
    this.exchange[i] = tick.exchange === undefined ? -1 : this.id(tick.exchange);
    this.currency[i] = tick.currency === undefined ? -1 : this.id(tick.currency);
    this.source[i] = tick.source === undefined ? -1 : this.id(tick.source);
  }

  /** The columns of `RAW_TICKS` (`kafka_partition` is the batch's, one value for all rows). */
  rawColumns(partition: number): Columns {
    const dict = this.dict;
    return {
      length: this.length,
      columns: {
        symbol: { kind: 'string', ids: this.symbol, dict },
        ts: { kind: 'number', values: this.ts },
        price: { kind: 'number', values: this.price },
        volume: { kind: 'number', values: this.volume },
        exchange: { kind: 'string', ids: this.exchange, dict },
        currency: { kind: 'string', ids: this.currency, dict },
        source: { kind: 'string', ids: this.source, dict },
        seq: { kind: 'number', values: this.seq },
        kafka_partition: { kind: 'const', value: partition },
        kafka_offset: { kind: 'number', values: this.offset },
        kafka_ts: { kind: 'number', values: this.kafkaTs },
      },
    };
  }

  /**
   * The given rows (indices, in offset order) ordered by symbol, then ts, then offset: the
   * lake's sort order. A counting sort by symbol keeps offset order inside each symbol, so
   * only a symbol whose ticks arrived out of event-time order needs a comparison sort.
   */
  sortedOrder(rows: Int32Array): Int32Array {
    const symbolIds = [...new Set(Array.from(rows, (r) => this.symbol[r]!))];
    symbolIds.sort((a, b) => (this.dict[a]! < this.dict[b]! ? -1 : this.dict[a]! > this.dict[b]! ? 1 : 0));
    const rank = new Map(symbolIds.map((id, i) => [id, i]));
    const starts = new Int32Array(symbolIds.length + 1);
    for (const r of rows) starts[rank.get(this.symbol[r]!)! + 1]!++;
    for (let i = 0; i < symbolIds.length; i++) starts[i + 1]! += starts[i]!;
    const fill = starts.slice(0, symbolIds.length);
    const out = new Int32Array(rows.length);
    for (const r of rows) out[fill[rank.get(this.symbol[r]!)!]!++] = r;
    const ts = this.ts;
    for (let s = 0; s < symbolIds.length; s++) {
      const from = starts[s]!;
      const to = starts[s + 1]!;
      let ordered = true;
      for (let i = from + 1; i < to && ordered; i++) ordered = ts[out[i]!]! >= ts[out[i - 1]!]!;
      if (!ordered) {
        // Row indices grow with offsets, so (ts, row) is (ts, offset).
        out.subarray(from, to).sort((a, b) => ts[a]! - ts[b]! || a - b);
      }
    }
    return out;
  }

  private id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.dict.push(s) - 1;
      this.ids.set(s, id);
    }
    return id;
  }

  private grow(): void {
    const cap = Math.max(1024, this.capacity * 2);
    const f = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const n = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.ts = f(this.ts);
    this.price = f(this.price);
    this.volume = f(this.volume);
    this.seq = f(this.seq);
    this.offset = f(this.offset);
    this.kafkaTs = f(this.kafkaTs);
    this.symbol = n(this.symbol);
    this.exchange = n(this.exchange);
    this.currency = n(this.currency);
    this.source = n(this.source);
  }
}
