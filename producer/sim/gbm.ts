/**
 * The pure simulator: ticks for a list of symbols when there is no file, each symbol's
 * price a geometric Brownian motion sampled at random (exponential) intervals, all
 * symbols merged in time order. Deterministic for a seed. Pure.
 */
import type { SimTick } from './daily.js';
import { seeded, type Random } from './random.js';

export interface GbmSymbol {
  readonly symbol: string;
  readonly price: number;
}

export interface GbmOptions {
  readonly symbols: readonly GbmSymbol[];
  /** Event time of the first ticks, epoch ms. */
  readonly start: number;
  /** Mean time between two ticks of one symbol. */
  readonly meanIntervalMs: number;
  /** Annualized. */
  readonly volatility: number;
  readonly drift: number;
  readonly seed: number;
}

const YEAR_MS = 365.25 * 86_400_000;
export const DEFAULT_START_PRICE = 100;

/** `AAPL:190,MSFT` -> [{AAPL, 190}, {MSFT, 100}]. */
export function parseSymbols(text: string): GbmSymbol[] {
  const out = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const [symbol = '', price] = s.split(':');
      const p = price === undefined ? DEFAULT_START_PRICE : Number(price);
      if (symbol.length === 0 || !Number.isFinite(p) || p <= 0) throw new Error(`symbol "${s}" is not SYMBOL[:start price > 0]`);
      return { symbol, price: p };
    });
  if (out.length === 0) throw new Error('no symbols to simulate');
  if (new Set(out.map((s) => s.symbol)).size !== out.length) throw new Error(`symbols repeat in "${text}"`);
  return out;
}

interface State {
  readonly symbol: string;
  /** Position in the symbol list: breaks ties in time, so the order is deterministic. */
  readonly index: number;
  readonly rng: Random;
  price: number;
  ts: number;
}

export class GbmSimulator {
  /** Min-heap on (ts, index): the symbol whose next tick is earliest. */
  private readonly heap: State[];

  constructor(private readonly options: GbmOptions) {
    if (!(options.meanIntervalMs > 0)) throw new RangeError('meanIntervalMs must be > 0');
    this.heap = [];
    options.symbols.forEach((s, i) => {
      this.push({ symbol: s.symbol, index: i, rng: seeded(options.seed, 'gbm', s.symbol), price: s.price, ts: options.start });
    });
  }

  /** The next `count` ticks in event-time order. */
  next(count: number): SimTick[] {
    const out = new Array<SimTick>(count);
    const { volatility, drift, meanIntervalMs } = this.options;
    for (let i = 0; i < count; i++) {
      const s = this.pop();
      out[i] = { symbol: s.symbol, ts: s.ts, price: s.price, volume: 100 * (1 + Math.floor(-Math.log(1 - s.rng.next()) * 3)), exchange: undefined, currency: undefined, line: 0 };
      const gap = Math.max(1, Math.round(-Math.log(1 - s.rng.next()) * meanIntervalMs));
      const dt = gap / YEAR_MS;
      const next = s.price * Math.exp((drift - (volatility * volatility) / 2) * dt + volatility * Math.sqrt(dt) * s.rng.normal());
      s.price = Math.max(0.01, Math.round(next * 100) / 100);
      s.ts += gap;
      this.push(s);
    }
    return out;
  }

  private less(a: State, b: State): boolean {
    return a.ts < b.ts || (a.ts === b.ts && a.index < b.index);
  }

  private push(s: State): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): State {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
