/**
 * When the next tick may go out: not before `rate` allows (tick k at start + k/rate) and,
 * with the live clock, not before its own event time. Sleeping per tick would cost more
 * than sending it, so a rate limit lets the caller skip delays too short to be worth a
 * timer. An event time is a hard bound, never skipped: a tick sent before its event time
 * reaches Kafka stamped earlier than it happened (an "early tick", data from the future).
 * Pure: time comes from the caller.
 */

export const MIN_SLEEP_MS = 2;

export class Pacer {
  private sent = 0;
  private start: number | null = null;

  /** `rate` ticks per second; 0 = unlimited. */
  constructor(private readonly rate: number) {}

  /** Milliseconds to wait before sending the next tick (0 = now). Counts the tick as sent. */
  delay(now: number, eventTime?: number): number {
    if (this.start === null) this.start = now;
    let due = this.rate > 0 ? this.start + (this.sent * 1000) / this.rate : now;
    if (eventTime !== undefined && eventTime > due) due = eventTime;
    this.sent += 1;
    const wait = due - now;
    if (eventTime !== undefined && eventTime > now) return wait;
    return wait >= MIN_SLEEP_MS ? wait : 0;
  }
}
