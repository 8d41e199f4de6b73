/**
 * The producer's inner loop: source events in, Kafka messages out. For each tick: event
 * time from the clock, pacing (rate limit, live clock), the per-symbol sequence number, the
 * tick contract (lib/tick.ts checkTick; a tick that breaks it is a dead letter, never a
 * message in `ticks`), the wire form, and produce with backpressure. Rejected input goes
 * to the dead-letter topic with file, line and reason.
 *
 * The loop awaits only when it must (queue full, pacing, next chunk of input), so the
 * common path costs no promise per tick. It stops between two ticks when `signal` aborts.
 *
 * Those awaits are promise continuations, which Node.js runs before anything else: when
 * the Kafka queue never fills and the source never waits on I/O (the simulator, or a CSV
 * chunk that becomes hundreds of thousands of ticks), nothing else would run for the whole
 * run: no signal handler (SIGINT ignored), no progress line, no metrics request, no
 * librdkafka statistics. So the loop hands the event loop a turn every YIELD_EVERY_MS.
 */
import { sleep } from '../lib/async.js';
import { deadLetter, encodeDeadLetter } from '../lib/dlq.js';
import { checkTick, type Tick } from '../lib/tick.js';
import type { EventClock } from './clock.js';
import type { SourceEvent } from './events.js';
import type { Pacer } from './pacer.js';
import type { Publisher } from './publisher.js';
import { RejectTally } from './rejects.js';
import { TickWriter } from './wire.js';

export interface PipelineOptions {
  readonly clock: EventClock;
  /** Null when publishing as fast as possible on the historical clock. */
  readonly pacer: Pacer | null;
  /** `source` field of every tick: `csv` or `sim`. */
  readonly source: string;
  /** Origin file named in dead letters (`(simulator)` for the GBM source). */
  readonly file: string;
  readonly signal: AbortSignal;
}

/** Counters the progress line and the metrics read while the loop runs. */
export interface PipelineCounters {
  /** Ticks that left the source. */
  ticksIn: number;
  /** Rejected rows and ticks sent to the dead-letter topic. */
  deadLetters: number;
  /** How far the live clock's sending is behind its schedule, ms (0 when on time). */
  lagMs: number;
  /** The dead letters by kind of reason, for the summary. */
  readonly rejects: RejectTally;
}

export function newCounters(): PipelineCounters {
  return { ticksIn: 0, deadLetters: 0, lagMs: 0, rejects: new RejectTally() };
}

/** How long the loop may run before it lets timers, I/O and signals in (a turn costs a few µs). */
export const YIELD_EVERY_MS = 20;

/** When the loop owes the event loop a turn; the clock is read once per 1,024 ticks. */
export class EventLoopTurns {
  private untilCheck = 1024;
  private last = performance.now();

  constructor(private readonly everyMs: number = YIELD_EVERY_MS) {}

  /** True when a turn is due (then await `take()`). */
  due(): boolean {
    if (--this.untilCheck > 0) return false;
    this.untilCheck = 1024;
    return performance.now() - this.last >= this.everyMs;
  }

  /** One turn of the event loop: timers, I/O callbacks and signal handlers run before it resolves. */
  async take(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}

export async function runPipeline(
  events: AsyncIterable<readonly SourceEvent[]>,
  publisher: Publisher,
  options: PipelineOptions,
  counters: PipelineCounters = newCounters(),
): Promise<PipelineCounters> {
  const { clock, pacer, signal, source, file } = options;
  const writer = new TickWriter();

  const reject = async (line: number, reason: string, raw: string, symbol?: string): Promise<void> => {
    const letter = deadLetter('producer', reason, { kind: 'file', file, line }, raw);
    await publisher.deadLetter(encodeDeadLetter(letter, symbol ?? null));
    counters.deadLetters += 1;
    counters.rejects.add(line, reason);
  };

  const turns = new EventLoopTurns();
  outer: for await (const batch of events) {
    if (publisher.fatal) throw publisher.fatal;
    for (const event of batch) {
      if (turns.due()) await turns.take();
      if (signal.aborted) break outer;
      if (event.kind === 'reject') {
        await reject(event.line, event.reason, event.raw, event.symbol);
        continue;
      }
      for (const t of event.ticks) {
        if (turns.due()) await turns.take();
        if (signal.aborted) break outer;
        counters.ticksIn += 1;
        const ts = clock.eventTime(t.ts);
        if (pacer !== null) {
          const now = Date.now();
          const wait = pacer.delay(now, clock.paced ? ts : undefined);
          if (wait > 0) {
            await sleep(wait, signal);
            if (signal.aborted) break outer;
          }
          // Not before its event time, whatever the timer did: Node counts a timer from the
          // event loop's cached time, which a long synchronous stretch (a day's ticks being
          // built) leaves behind, so a timer can fire early by that stretch.
          if (clock.paced) {
            for (let early = ts - Date.now(); early > 0; early = ts - Date.now()) {
              await sleep(early, signal);
              if (signal.aborted) break outer;
            }
          }
          if (clock.paced) counters.lagMs = Math.max(0, now - ts);
        }
        const route = publisher.route(t.symbol);
        // One object shape for every tick (absent fields are undefined, which checkTick
        // and the writer treat as absent).
        const candidate: Tick = { symbol: t.symbol, ts, price: t.price, volume: t.volume, exchange: t.exchange, currency: t.currency, source, seq: route.seq };
        const check = checkTick(candidate);
        if (!check.ok) {
          await reject(t.line, `tick rejected: ${check.reason}`, JSON.stringify(candidate), t.symbol);
          continue;
        }
        route.seq += 1;
        // checkTick trims the symbol; sources already do, so this is the same route.
        const wire = check.tick.symbol === t.symbol ? route : publisher.route(check.tick.symbol);
        const value = writer.write(check.tick, wire);
        while (!publisher.tryTick(wire, value)) {
          if (publisher.fatal) throw publisher.fatal;
          await publisher.waitForSpace();
        }
      }
    }
  }
  return counters;
}
