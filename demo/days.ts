/**
 * What the demo replays, and what it must find in the lake afterwards. Pure.
 *
 * The demo replays the last N trading days of a file of daily bars under their own dates:
 * each bar becomes one simulated session (producer/sim: a Brownian bridge through the day's
 * open, high, low and close, the volume split over the session), published on the
 * historical clock, so every tick's event time is a moment of the day whose price it
 * carries. The lake's daily bars of those days must then be the file's bars exactly; this
 * module picks the days, writes them as a CSV the producer reads, and compares what the
 * lake answered with what the file says.
 */
import type { Bar } from '../producer/sources/bars.js';
import { dayNumber, formatDay } from '../producer/sources/dates.js';

/** One symbol's daily bar, as the file has it and as `query ohlcv --interval 1d` answers it. */
export interface DailyBar {
  readonly symbol: string;
  /** YYYY-MM-DD */
  readonly day: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * Keeps the bars of the `n` latest dates of a stream of bars, in bounded memory (the days
 * beyond the n latest are dropped as they fall out). A second bar of the same symbol and
 * date is not kept (the producer would reject it as a duplicate); it is counted.
 */
export class LastDays {
  private readonly days = new Map<number, Map<string, Bar>>();
  duplicates = 0;

  constructor(readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`days must be a whole number >= 1, got ${n}`);
  }

  add(bar: Bar): void {
    const key = dayNumber(bar.date);
    let day = this.days.get(key);
    if (!day) {
      if (this.days.size >= this.n && key < Math.min(...this.days.keys())) return;
      day = new Map();
      this.days.set(key, day);
      if (this.days.size > this.n) this.days.delete(Math.min(...this.days.keys()));
    }
    if (day.has(bar.symbol)) {
      this.duplicates += 1;
      return;
    }
    day.set(bar.symbol, bar);
  }

  /** The kept bars, by date, then symbol: a file the producer replays with every symbol trading at once. */
  bars(): Bar[] {
    return [...this.days.keys()]
      .sort((a, b) => a - b)
      .flatMap((k) => [...this.days.get(k)!.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)));
  }
}

/** The bars as a CSV in the sample's layout (prices with the precision they were written with). */
export function replayCsv(bars: readonly Bar[]): string {
  const lines = ['Symbol,Date,Open,High,Low,Close,Volume,Exchange,Currency'];
  for (const b of bars) {
    const p = (x: number): string => x.toFixed(b.decimals);
    lines.push([b.symbol, formatDay(b.date), p(b.open), p(b.high), p(b.low), p(b.close), String(b.volume), csvField(b.exchange), csvField(b.currency)].join(','));
  }
  return lines.join('\n') + '\n';
}

function csvField(text: string | undefined): string {
  if (text === undefined) return '';
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function dailyOf(bars: readonly Bar[]): DailyBar[] {
  return bars.map((b) => ({ symbol: b.symbol, day: formatDay(b.date), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume }));
}

/**
 * Ticks per second that play one trading day (every symbol's session) in `daySeconds`:
 * the producer's rate limit. Ticks of a day are merged by event time, so a steady rate
 * moves the market through the session at a steady pace.
 */
export function replayRate(symbols: number, ticksPerBar: number, daySeconds: number): number {
  if (!(daySeconds > 0)) throw new RangeError(`seconds per day must be > 0, got ${daySeconds}`);
  return Math.max(1, Math.ceil((symbols * ticksPerBar) / daySeconds));
}

export interface DailyComparison {
  /** Bars of the file found in the lake with the same open, high, low, close and volume. */
  readonly matched: number;
  readonly expected: number;
  /** One line per difference: a bar missing, extra, or with another value. */
  readonly differences: string[];
}

/**
 * The lake's daily bars against the file's. Prices are compared to the file's precision
 * (the simulator writes prices with the bar's decimals, and the lake keeps doubles).
 */
export function compareDaily(expected: readonly DailyBar[], actual: readonly DailyBar[]): DailyComparison {
  const key = (b: DailyBar): string => `${b.symbol} ${b.day}`;
  const got = new Map(actual.map((b) => [key(b), b]));
  const differences: string[] = [];
  let matched = 0;
  for (const e of expected) {
    const a = got.get(key(e));
    got.delete(key(e));
    if (!a) {
      differences.push(`${key(e)}: not in the lake`);
      continue;
    }
    const wrong = (['open', 'high', 'low', 'close', 'volume'] as const).filter((f) => Math.abs(a[f] - e[f]) > 1e-9 * Math.max(1, Math.abs(e[f])));
    if (wrong.length === 0) matched += 1;
    else differences.push(`${key(e)}: ${wrong.map((f) => `${f} ${a[f]} in the lake, ${e[f]} in the file`).join(', ')}`);
  }
  for (const k of got.keys()) differences.push(`${k}: in the lake, not among the replayed days`);
  return { matched, expected: expected.length, differences };
}
