/**
 * Daily bars to intraday ticks: each bar gets its session's times, bridge prices and a
 * split of its volume, from a random stream of its own (seed, symbol, date), so the ticks
 * of a bar are the same whatever else the file holds. Bars of one day are merged by time,
 * which is what a live market of several symbols looks like. Pure.
 */
import type { Bar } from '../sources/bars.js';
import { formatDay } from '../sources/dates.js';
import { bridgePrices, tickTimes } from './bridge.js';
import { seeded } from './random.js';
import { sessionBounds, sessionForExchange, type Session } from './sessions.js';
import { splitVolume } from './volume.js';

/** A tick before it is numbered and published, with the source line it came from. */
export interface SimTick {
  readonly symbol: string;
  readonly ts: number;
  readonly price: number;
  readonly volume: number;
  // Always present (undefined when unknown): objects of one shape keep the hot loop fast.
  readonly exchange: string | undefined;
  readonly currency: string | undefined;
  /** Line of the bar in its file (0 for simulated ticks that have no file). */
  readonly line: number;
}

export interface BarSimOptions {
  readonly ticksPerBar: number;
  readonly seed: number;
  readonly defaultSession: Session;
}

/** A bar with where it came from, and the exchange/currency it trades in (from the row or enrichment). */
export interface PlacedBar {
  readonly bar: Bar;
  readonly line: number;
  readonly exchange?: string;
  readonly currency?: string;
}

export function barTicks(placed: PlacedBar, options: BarSimOptions): SimTick[] {
  const { bar, line } = placed;
  const n = options.ticksPerBar;
  const rng = seeded(options.seed, bar.symbol, formatDay(bar.date));
  const session = sessionForExchange(placed.exchange, options.defaultSession);
  const { start, end } = sessionBounds(bar.date, session);
  const times = tickTimes(start, end, n, rng);
  const prices = bridgePrices(bar, n, rng);
  const volumes = splitVolume(bar.volume, n, rng);
  const out = new Array<SimTick>(n);
  const { symbol } = bar;
  const { exchange, currency } = placed;
  for (let i = 0; i < n; i++) {
    out[i] = { symbol, ts: times[i]!, price: prices[i]!, volume: volumes[i]!, exchange, currency, line };
  }
  return out;
}

/** Ticks of several bars in time order; ties keep bar order (Array.prototype.sort is stable). */
export function mergeByTime(lists: readonly SimTick[][]): SimTick[] {
  if (lists.length === 1) return lists[0]!;
  return lists.flat().sort((a, b) => a.ts - b.ts);
}
