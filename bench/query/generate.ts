/**
 * The benchmark lake: synthetic ticks shaped like the real pipeline's, written with the
 * sink's Parquet writer in the sink's layout.
 *
 *  - SYMBOLS symbols, DAYS weekdays from START, TICKS_PER_DAY ticks per symbol and day
 *    spread over a 6.5-hour session (13:30-20:00 UTC): 50 x 250 x 800 = 10,000,000 ticks.
 *  - Prices follow a geometric random walk from a seeded generator (the same lake on every
 *    machine); volumes are 1-1000.
 *  - raw/ticks: one file per day and Kafka partition (6 partitions, symbol-keyed), as the
 *    sink writes them; processed/bars_1m: the one-minute bars of those ticks (with the
 *    sink's lineage columns), one file a day.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BARS_1M, RAW_TICKS, partitionPrefix } from '../../lib/lake.js';
import { encodeParquet, type LakeRow } from '../../consumer/format/parquet.js';
import { mulberry32 } from '../../lib/prng.js';

export const SHAPE = { symbols: 50, days: 250, ticksPerDay: 800, kafkaPartitions: 6, start: '2024-01-01' } as const;
export const GENERATOR_VERSION = 2;

/** The seeded generator's uniform draws in [0, 1). */
function prng(seed: number): () => number {
  return mulberry32(seed).next;
}

/** Weekdays from `start`, as YYYY-MM-DD. */
export function tradingDays(start: string, n: number): string[] {
  const out: string[] = [];
  for (let d = Date.parse(`${start}T00:00:00Z`); out.length < n; d += 86_400_000) {
    const wd = new Date(d).getUTCDay();
    if (wd !== 0 && wd !== 6) out.push(new Date(d).toISOString().slice(0, 10));
  }
  return out;
}

export interface Written {
  readonly ticks: number;
  readonly bars: number;
  readonly tickFiles: number;
  readonly barFiles: number;
  readonly bytes: number;
}

export function generateLake(root: string, shape = SHAPE, onDay?: (i: number, day: string) => void): Written {
  const symbols = Array.from({ length: shape.symbols }, (_, i) => `S${String(i).padStart(3, '0')}`);
  const rand = prng(20240101);
  const price = new Map(symbols.map((s) => [s, 50 + rand() * 450]));
  const seq = new Map(symbols.map((s) => [s, 0]));
  const offsets = new Array<number>(shape.kafkaPartitions).fill(0);
  const session = 6.5 * 3600_000;
  let totals = { ticks: 0, bars: 0, tickFiles: 0, barFiles: 0, bytes: 0 };
  tradingDays(shape.start, shape.days).forEach((day, dayIndex) => {
    onDay?.(dayIndex, day);
    const open = Date.parse(`${day}T13:30:00Z`);
    const byPartition: LakeRow[][] = Array.from({ length: shape.kafkaPartitions }, () => []);
    const bars: LakeRow[] = [];
    symbols.forEach((symbol, si) => {
      const partition = si % shape.kafkaPartitions;
      const step = session / shape.ticksPerDay;
      const batchOffset = offsets[partition]! - byPartition[partition]!.length;
      type Bar = { start: number; open: number; high: number; low: number; close: number; volume: number; trades: number; notional: number; openTs: number; closeTs: number };
      let bar: Bar | null = null;
      const flush = (): void => {
        if (!bar) return;
        bars.push({
          symbol,
          bar_start: bar.start,
          open: bar.open,
          high: bar.high,
          low: bar.low,
          close: bar.close,
          volume: bar.volume,
          trades: bar.trades,
          vwap: bar.notional / bar.volume,
          open_ts: bar.openTs,
          close_ts: bar.closeTs,
          kafka_partition: partition,
          batch_offset: batchOffset,
        });
      };
      for (let i = 0; i < shape.ticksPerDay; i++) {
        const ts = Math.floor(open + i * step + rand() * step * 0.9);
        // Log-normal step: about 1.5% daily volatility over the session's ticks.
        const p = Math.round(price.get(symbol)! * Math.exp((rand() - 0.5) * 0.0018) * 100) / 100;
        price.set(symbol, p);
        const volume = 1 + Math.floor(rand() * 1000);
        const s = seq.get(symbol)!;
        seq.set(symbol, s + 1);
        byPartition[partition]!.push({
          symbol,
          ts,
          price: p,
          volume,
          exchange: 'XBEN',
          currency: 'USD',
          source: 'sim',
          seq: s,
          kafka_partition: partition,
          kafka_offset: offsets[partition]!++,
          kafka_ts: ts + 5 + Math.floor(rand() * 50),
        });
        const start = Math.floor(ts / 60_000) * 60_000;
        if (!bar || bar.start !== start) {
          flush();
          bar = { start, open: p, high: p, low: p, close: p, volume: 0, trades: 0, notional: 0, openTs: ts, closeTs: ts };
        }
        bar.closeTs = ts;
        bar.high = Math.max(bar.high, p);
        bar.low = Math.min(bar.low, p);
        bar.close = p;
        bar.volume += volume;
        bar.trades++;
        bar.notional += p * volume;
      }
      flush();
    });
    const tickDir = join(root, partitionPrefix(RAW_TICKS, day));
    mkdirSync(tickDir, { recursive: true });
    byPartition.forEach((rows, partition) => {
      const bytes = encodeParquet(RAW_TICKS, rows);
      writeFileSync(join(tickDir, `ticks+${partition}+${rows[0]!.kafka_offset}.parquet`), bytes);
      totals = { ...totals, ticks: totals.ticks + rows.length, tickFiles: totals.tickFiles + 1, bytes: totals.bytes + bytes.length };
    });
    const barDir = join(root, partitionPrefix(BARS_1M, day));
    mkdirSync(barDir, { recursive: true });
    const barBytes = encodeParquet(BARS_1M, bars);
    writeFileSync(join(barDir, `bars_1m+${day}.parquet`), barBytes);
    totals = { ...totals, bars: totals.bars + bars.length, barFiles: totals.barFiles + 1, bytes: totals.bytes + barBytes.length };
  });
  return totals;
}
