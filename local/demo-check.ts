/**
 * The demo's last word: what the lake answers, checked against the file it replayed. The
 * daily bars (`ohlcv --interval 1d`, the same query file a user runs) must be the file's
 * bars of the replayed days, and no tick may carry an event time after the time Kafka
 * stamped it with (`data_quality`'s early_ticks).
 */
import { bindParams } from '../analytics/params.js';
import { findQuery } from '../analytics/query-catalog.js';
import type { Row } from '../analytics/runners/runner.js';
import { compareDaily, type DailyBar, type DailyComparison } from './demo-days.js';

export interface LakeCheck {
  readonly daily: DailyComparison;
  /** The lake's daily bars (for the caller's own comparisons, e.g. with the dashboard). */
  readonly lakeDaily: DailyBar[];
  readonly ticks: number;
  readonly earlyTicks: number;
  readonly outOfOrder: number;
  readonly redelivered: number;
}

export async function checkLake(lake: string, expected: readonly DailyBar[]): Promise<LakeCheck> {
  const { DuckDbRunner } = await import('../analytics/runners/duckdb.js');
  const runner = await DuckDbRunner.open({ lake, threads: 1 });
  try {
    const run = async (name: string, params: Record<string, string>): Promise<readonly Row[]> => {
      const query = findQuery(name);
      return (await runner.run(query, bindParams(name, query.params, params))).rows;
    };
    const lakeDaily = (await run('ohlcv', { interval: '1d' })).map(dailyBarOf);
    const quality = await run('data_quality', {});
    const sum = (column: string): number => quality.reduce((s, r) => s + Number(r[column] ?? 0), 0);
    return {
      daily: compareDaily(expected, lakeDaily),
      lakeDaily,
      ticks: sum('ticks'),
      earlyTicks: sum('early_ticks'),
      outOfOrder: sum('out_of_order'),
      redelivered: sum('redelivered'),
    };
  } finally {
    await runner.close();
  }
}

/** A row of `ohlcv --interval 1d` (bar_start is midnight UTC of the day) as a daily bar. */
export function dailyBarOf(row: Row): DailyBar {
  return {
    symbol: String(row.symbol),
    day: String(row.bar_start).slice(0, 10),
    open: Number(row.open),
    high: Number(row.high),
    low: Number(row.low),
    close: Number(row.close),
    volume: Number(row.volume),
  };
}
