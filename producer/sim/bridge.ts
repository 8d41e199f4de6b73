/**
 * Intraday ticks from one daily bar: prices along a Brownian bridge pinned to the bar's
 * four points, strictly increasing times over the session. Pure.
 *
 * Exactness by construction, not by luck: the open, the two extremes and the close are
 * placed on tick indices as the bar's own numbers (never recomputed), and every other
 * price is folded into [low, high] and clamped after rounding. So the first tick is the
 * open, the last the close, the maximum is the high and the minimum the low, exactly,
 * for every bar and seed.
 */
import type { Random } from './random.js';

export interface BarPrices {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Decimal places of the simulated prices (the precision the bar was written with). */
  readonly decimals: number;
}

export const MIN_TICKS_PER_BAR = 4;

/** Reflects x into [low, high] (the path bounces off the day's range instead of sticking to it). */
function fold(x: number, low: number, range: number): number {
  if (range <= 0) return low;
  const period = 2 * range;
  let y = (x - low) % period;
  if (y < 0) y += period;
  return low + (y > range ? period - y : y);
}

/**
 * `n` prices (n >= 4) through open, high, low and close. Which extreme comes first is drawn:
 * on a down day (close < open) the high usually comes first, on an up day the low.
 */
export function bridgePrices(bar: BarPrices, n: number, rng: Random): number[] {
  if (!Number.isInteger(n) || n < MIN_TICKS_PER_BAR) throw new RangeError(`ticks per bar must be an integer >= ${MIN_TICKS_PER_BAR}, got ${n}`);
  const { open, high, low, close } = bar;
  const highFirst = rng.next() < (close < open ? 0.7 : 0.3);
  // Two distinct interior indices for the extremes.
  const i = rng.int(1, n - 2);
  let j = rng.int(1, n - 3);
  if (j >= i) j += 1;
  const first = Math.min(i, j);
  const second = Math.max(i, j);
  const anchors: Array<[number, number]> = [
    [0, open],
    [first, highFirst ? high : low],
    [second, highFirst ? low : high],
    [n - 1, close],
  ];

  const prices = new Array<number>(n);
  const range = high - low;
  const factor = 10 ** bar.decimals;
  // Step size so that a free walk over the day would roam about half the day's range.
  const sigma = (range * 0.5) / Math.sqrt(n);
  for (let s = 0; s < anchors.length - 1; s++) {
    const [p, vp] = anchors[s]!;
    const [q, vq] = anchors[s + 1]!;
    prices[p] = vp;
    const m = q - p;
    if (m < 2) continue;
    // Brownian bridge: a random walk with its end pulled back to zero, on a straight line.
    const walk = new Array<number>(m + 1);
    walk[0] = 0;
    for (let k = 1; k <= m; k++) walk[k] = walk[k - 1]! + sigma * rng.normal();
    const end = walk[m]!;
    for (let k = 1; k < m; k++) {
      const t = k / m;
      const x = fold(vp + (vq - vp) * t + walk[k]! - t * end, low, range);
      const rounded = Math.round(x * factor) / factor;
      prices[p + k] = rounded < low ? low : rounded > high ? high : rounded;
    }
  }
  prices[n - 1] = close;
  return prices;
}

/**
 * `n` strictly increasing integer times from `start` to `end` inclusive (first tick at the
 * session's open, last at its close), with random gaps as between real trades.
 */
export function tickTimes(start: number, end: number, n: number, rng: Random): number[] {
  const span = end - start;
  if (n < 2) throw new RangeError(`need at least 2 ticks, got ${n}`);
  if (!Number.isInteger(start) || !Number.isInteger(end) || span < n - 1) {
    throw new RangeError(`a session of ${span} ms cannot hold ${n} ticks with distinct millisecond times`);
  }
  const gaps = new Array<number>(n - 1);
  let total = 0;
  for (let k = 0; k < n - 1; k++) {
    const g = -Math.log(1 - rng.next()) + 1e-9;
    gaps[k] = g;
    total += g;
  }
  // floor(fraction * slack) never decreases, and + k makes every step at least 1 ms.
  const slack = span - (n - 1);
  const times = new Array<number>(n);
  times[0] = start;
  let cumulative = 0;
  for (let k = 1; k < n - 1; k++) {
    cumulative += gaps[k - 1]!;
    times[k] = start + Math.min(slack, Math.floor((cumulative / total) * slack)) + k;
  }
  times[n - 1] = end;
  return times;
}
