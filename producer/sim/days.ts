/**
 * Orders bars into days before they become ticks. Two jobs, both about the promise that a
 * symbol's ticks reach Kafka in event-time order:
 *
 * - A bar whose date is not after the previous bar of the same symbol (a duplicate, or a
 *   file not sorted by date within a symbol) would produce ticks older than ticks already
 *   sent. It is rejected with the reason, for the dead-letter topic.
 * - Consecutive bars of the same date (a file sorted by date, several symbols a day) form a
 *   group whose ticks are merged by time, so symbols trade side by side as in a live market.
 *
 * Memory stays bounded: one date per symbol, and a group is cut at `maxGroup` bars. Pure.
 */
import type { PlacedBar } from './daily.js';
import { dayNumber, formatDay } from '../sources/dates.js';

export type DayEvent = { readonly kind: 'group'; readonly bars: readonly PlacedBar[] } | { readonly kind: 'reject'; readonly bar: PlacedBar; readonly reason: string };

export class DayGrouper {
  private readonly lastDay = new Map<string, { day: number; line: number }>();
  private group: PlacedBar[] = [];
  private groupDay = Number.NaN;

  constructor(private readonly maxGroup = 10_000) {}

  add(placed: PlacedBar): DayEvent[] {
    const out: DayEvent[] = [];
    const day = dayNumber(placed.bar.date);
    const previous = this.lastDay.get(placed.bar.symbol);
    if (previous && day <= previous.day) {
      out.push({
        kind: 'reject',
        bar: placed,
        reason:
          `date ${formatDay(placed.bar.date)} is not after the previous bar of ${placed.bar.symbol} ` +
          `(line ${previous.line}); a symbol's bars must be in date order without duplicates`,
      });
      return out;
    }
    this.lastDay.set(placed.bar.symbol, { day, line: placed.line });
    if (day !== this.groupDay || this.group.length >= this.maxGroup) out.push(...this.flush());
    this.group.push(placed);
    this.groupDay = day;
    return out;
  }

  flush(): DayEvent[] {
    if (this.group.length === 0) return [];
    const bars = this.group;
    this.group = [];
    return [{ kind: 'group', bars }];
  }
}
