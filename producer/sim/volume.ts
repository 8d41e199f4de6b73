/**
 * Spreads a bar's volume over its ticks: integer parts that add up to the bar's volume
 * exactly, heavier at the open and the close (the intraday "U" of real markets), with
 * noise. Pure.
 */
import type { Random } from './random.js';

/**
 * Splits `total` into `n` integers >= 0 that sum to `total` exactly. Parts come from the
 * differences of floor(total * cumulativeWeight / totalWeight): floating-point rounding is
 * monotone, so the cumulative values never decrease (no negative part), and the last one
 * is set to `total` (no unit lost or added), whatever the weights.
 */
export function splitVolume(total: number, n: number, rng: Random): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`volume must be an integer >= 0, got ${total}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`tick count must be >= 1, got ${n}`);
  const weights = new Array<number>(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = n === 1 ? 0.5 : i / (n - 1);
    const u = 1 + 6 * (x - 0.5) * (x - 0.5);
    const w = u * (0.25 + rng.next());
    weights[i] = w;
    sum += w;
  }
  const parts = new Array<number>(n);
  let cumulative = 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    cumulative += weights[i]!;
    const upTo = i === n - 1 ? total : Math.min(total, Math.floor((total * cumulative) / sum));
    const at = Math.max(previous, upTo);
    parts[i] = at - previous;
    previous = at;
  }
  return parts;
}
