/**
 * Live market state for the dashboard, built from the ticks it reads off Kafka: OHLCV
 * candles per symbol at a fixed interval, and each symbol's last price and change since
 * its first tick of the (UTC) day. Pure and bounded: at most `maxCandles` candles are kept
 * per symbol, so memory stays flat however long the dashboard runs.
 */
import type { Tick } from '../lib/tick.js';

export interface Candle {
  /** Start of the interval, epoch seconds (what lightweight-charts takes as `time`). */
  readonly time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
}

export interface SymbolQuote {
  readonly symbol: string;
  last: number;
  /** First price of the symbol on the UTC day of its last tick. */
  dayOpen: number;
  dayOpenDate: string;
  change: number;
  changePct: number;
  lastTs: number;
  ticks: number;
}

export interface CandleUpdate {
  readonly symbol: string;
  readonly candle: Candle;
  readonly quote: SymbolQuote;
}

export class MarketBoard {
  private readonly candles = new Map<string, Candle[]>();
  private readonly quotes = new Map<string, SymbolQuote>();

  constructor(
    readonly intervalSec = 60,
    readonly maxCandles = 500,
  ) {
    if (!Number.isInteger(intervalSec) || intervalSec < 1) throw new Error(`candle interval must be a whole number of seconds >= 1, got ${intervalSec}`);
  }

  /**
   * Folds one tick in and returns the candle it touched. A tick older than the symbol's
   * oldest kept candle is ignored (returns null): history beyond the window is the lake's job.
   */
  add(tick: Tick): CandleUpdate | null {
    const time = Math.floor(tick.ts / 1000 / this.intervalSec) * this.intervalSec;
    const series = this.candles.get(tick.symbol) ?? [];
    if (!this.candles.has(tick.symbol)) this.candles.set(tick.symbol, series);
    let candle: Candle | undefined;
    const last = series[series.length - 1];
    if (!last || time > last.time) {
      candle = { time, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: 0, trades: 0 };
      series.push(candle);
      if (series.length > this.maxCandles) series.shift();
    } else if (time === last.time) {
      candle = last;
    } else {
      // Late tick: find its candle (binary search; series is sorted by time).
      candle = findCandle(series, time);
      if (!candle) {
        if (time < series[0]!.time && series.length >= this.maxCandles) return null;
        candle = { time, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: 0, trades: 0 };
        insertSorted(series, candle);
        if (series.length > this.maxCandles) series.shift();
      }
    }
    const isLatest = candle === series[series.length - 1];
    candle.high = Math.max(candle.high, tick.price);
    candle.low = Math.min(candle.low, tick.price);
    // Ticks of one symbol arrive in event-time order from one partition, so the newest tick
    // of the newest candle is its close; a late tick never moves the close.
    if (isLatest) candle.close = tick.price;
    candle.volume += tick.volume;
    candle.trades += 1;
    return { symbol: tick.symbol, candle, quote: this.updateQuote(tick) };
  }

  private updateQuote(tick: Tick): SymbolQuote {
    const day = new Date(tick.ts).toISOString().slice(0, 10);
    let q = this.quotes.get(tick.symbol);
    if (!q) {
      q = { symbol: tick.symbol, last: tick.price, dayOpen: tick.price, dayOpenDate: day, change: 0, changePct: 0, lastTs: tick.ts, ticks: 0 };
      this.quotes.set(tick.symbol, q);
    }
    if (tick.ts >= q.lastTs) {
      if (day !== q.dayOpenDate) {
        q.dayOpen = tick.price;
        q.dayOpenDate = day;
      }
      q.last = tick.price;
      q.lastTs = tick.ts;
    }
    q.ticks += 1;
    q.change = q.last - q.dayOpen;
    q.changePct = q.dayOpen === 0 ? 0 : (q.change / q.dayOpen) * 100;
    return { ...q };
  }

  symbols(): string[] {
    return [...this.quotes.keys()].sort();
  }

  candlesOf(symbol: string): Candle[] {
    return (this.candles.get(symbol) ?? []).map((c) => ({ ...c }));
  }

  quotesList(): SymbolQuote[] {
    return this.symbols().map((s) => ({ ...this.quotes.get(s)! }));
  }
}

function findCandle(series: Candle[], time: number): Candle | undefined {
  let lo = 0;
  let hi = series.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = series[mid]!.time;
    if (t === time) return series[mid];
    if (t < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function insertSorted(series: Candle[], candle: Candle): void {
  let i = series.length;
  while (i > 0 && series[i - 1]!.time > candle.time) i--;
  series.splice(i, 0, candle);
}
