/**
 * Event time of a published tick. `historical` keeps the time the data or the simulator
 * gave it. `live` makes the stream look like today's market: the first tick happens now,
 * and the scenario advances at `speed` scenario seconds per second, with every pause
 * between consecutive ticks longer than `maxGapMs` (nights, weekends, holidays, the jump
 * from one symbol's history to the next in a file sorted by symbol) shortened to it.
 * Times never go backwards, so each symbol keeps its order. Pure.
 */

export interface EventClock {
  /** Event time (epoch ms) of the next tick, given its time in the scenario. */
  eventTime(scenarioTs: number): number;
  /** True when event times are wall-clock times that the publisher must wait for. */
  readonly paced: boolean;
}

export const historicalClock: EventClock = { eventTime: (ts) => ts, paced: false };

export class LiveClock implements EventClock {
  readonly paced = true;
  private previous: number | null = null;
  private elapsed = 0;

  constructor(
    private readonly wallStart: number,
    private readonly speed: number,
    private readonly maxGapMs: number,
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${speed}`);
  }

  eventTime(scenarioTs: number): number {
    if (this.previous !== null) {
      const gap = scenarioTs - this.previous;
      if (gap > 0) this.elapsed += Math.min(gap, this.maxGapMs);
    }
    this.previous = scenarioTs;
    return this.wallStart + Math.floor(this.elapsed / this.speed);
  }
}
