/**
 * The two sources as one stream of events for the pipeline: ticks to publish (in the order
 * to publish them) and rejected input for the dead-letter topic.
 *
 * - `replayEvents`: CSV bars -> per-symbol order check and same-day groups -> bridge ticks.
 * - `gbmEvents`: the pure simulator, in batches, until `count` ticks (or forever).
 */
import type { InfoTable } from './sources/info.js';
import type { CsvHeader, CsvSource } from './sources/csv.js';
import { barTicks, mergeByTime, type BarSimOptions, type PlacedBar, type SimTick } from './sim/daily.js';
import { DayGrouper, type DayEvent } from './sim/days.js';
import type { GbmSimulator } from './sim/gbm.js';

export type SourceEvent =
  | { readonly kind: 'ticks'; readonly ticks: readonly SimTick[] }
  | { readonly kind: 'reject'; readonly line: number; readonly reason: string; readonly raw: string; readonly symbol?: string };

/** Ticks one same-day group may hold in memory before it is cut (bounds memory for wide files). */
export const MAX_GROUP_TICKS = 200_000;

export interface ReplayOptions {
  readonly csv: CsvSource;
  readonly info?: InfoTable;
  readonly sim: BarSimOptions;
  readonly onHeader?: (header: CsvHeader) => void;
  /** Called once per accepted bar (for the progress counters). */
  readonly onBar?: () => void;
  /**
   * With several workers: whether this one publishes a symbol's bars, and reports a
   * rejected row (symbol undefined when the row has none). Default: everything.
   */
  readonly owns?: { readonly bar: (symbol: string) => boolean; readonly reject: (symbol: string | undefined) => boolean };
}

export async function* replayEvents(options: ReplayOptions): AsyncGenerator<SourceEvent[]> {
  const grouper = new DayGrouper(Math.max(1, Math.floor(MAX_GROUP_TICKS / options.sim.ticksPerBar)));
  const raws = new Map<PlacedBar, string>();
  const emit = (events: DayEvent[], out: SourceEvent[]): void => {
    for (const d of events) {
      if (d.kind === 'reject') {
        out.push({ kind: 'reject', line: d.bar.line, reason: d.reason, raw: raws.get(d.bar) ?? '', symbol: d.bar.bar.symbol });
        raws.delete(d.bar);
        continue;
      }
      for (const b of d.bars) raws.delete(b);
      out.push({ kind: 'ticks', ticks: mergeByTime(d.bars.map((b) => barTicks(b, options.sim))) });
    }
  };
  for await (const batch of options.csv.events(options.onHeader)) {
    let out: SourceEvent[] = [];
    for (const e of batch) {
      if (e.kind === 'reject') {
        if (!options.owns || options.owns.reject(e.symbol)) out.push(e);
        continue;
      }
      if (options.owns && !options.owns.bar(e.bar.symbol)) continue;
      const info = options.info?.get(e.bar.symbol);
      const exchange = e.bar.exchange ?? info?.exchange;
      const currency = e.bar.currency ?? info?.currency;
      const placed: PlacedBar = { bar: e.bar, line: e.line, ...(exchange ? { exchange } : {}), ...(currency ? { currency } : {}) };
      raws.set(placed, e.raw);
      const events = grouper.add(placed);
      if (!events.some((d) => d.kind === 'reject')) options.onBar?.();
      emit(events, out);
      // Hand each day's ticks over as soon as they exist: holding a whole chunk of the
      // file's ticks would make memory grow with ticks per bar.
      if (out.length > 0 && out[out.length - 1]!.kind === 'ticks') {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }
  const out: SourceEvent[] = [];
  emit(grouper.flush(), out);
  if (out.length > 0) yield out;
}

export const GBM_BATCH = 4096;

export async function* gbmEvents(sim: GbmSimulator, count: number): AsyncGenerator<SourceEvent[]> {
  let left = count > 0 ? count : Number.POSITIVE_INFINITY;
  while (left > 0) {
    const n = Math.min(GBM_BATCH, left);
    yield [{ kind: 'ticks', ticks: sim.next(n) }];
    left -= n;
  }
}
