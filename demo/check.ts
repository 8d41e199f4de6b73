/**
 * The demo's results: the named queries it prints, run in this process on one DuckDB
 * runner over the lake (the same query files, parameters and table rendering as
 * `tickstream query`, without starting a process per query), and what they are checked
 * against. The daily bars (`ohlcv --interval 1d`) must be the file's bars of the replayed
 * days, and no tick may carry an event time after the time Kafka stamped it with
 * (`data_quality`'s early_ticks).
 */
import { bindParams } from '../analytics/params.js';
import { findQuery } from '../analytics/query-catalog.js';
import { renderTable } from '../analytics/render/table.js';
import type { Row } from '../analytics/runners/runner.js';
import { compareDaily, type DailyBar, type DailyComparison } from './days.js';

export interface DemoQuery {
  readonly name: string;
  /** Parameter values as text, by name (as on the command line). */
  readonly params: Readonly<Record<string, string>>;
}

/**
 * What the demo prints: the replayed days' daily bars (the file's bars, if the pipeline lost
 * or doubled nothing), each day's VWAP, the movers over those days, and the data-quality
 * report. ohlcv and data_quality are also what the checks read.
 */
export const DEMO_QUERIES: readonly DemoQuery[] = [
  { name: 'ohlcv', params: { interval: '1d' } },
  { name: 'vwap', params: {} },
  { name: 'top_movers', params: { limit: '3' } },
  { name: 'data_quality', params: {} },
];

/** Parameters with a flag of their own in `tickstream query`; others go as `-p name=value`. */
const FLAG_PARAMS = new Set(['symbol', 'from', 'to', 'interval']);

/** The command a user runs to get the same table. */
export function queryCommand(q: DemoQuery, lake: string): string {
  const args = ['query', q.name, '--lake', lake];
  for (const [k, v] of Object.entries(q.params)) args.push(...(FLAG_PARAMS.has(k) ? [`--${k}`, v] : ['-p', `${k}=${v}`]));
  return `tickstream ${args.join(' ')}`;
}

export interface LakeCheck {
  readonly daily: DailyComparison;
  /** The lake's daily bars. */
  readonly lakeDaily: DailyBar[];
  readonly ticks: number;
  readonly earlyTicks: number;
  readonly outOfOrder: number;
  readonly redelivered: number;
}

export interface LakeResults {
  /** Each query's command and its table, as `tickstream query` prints it. */
  readonly printed: ReadonlyArray<{ command: string; table: string }>;
  readonly check: LakeCheck;
}

export async function queryLake(lake: string, expected: readonly DailyBar[], displayLake: string = lake): Promise<LakeResults> {
  const { DuckDbRunner } = await import('../analytics/runners/duckdb.js');
  const runner = await DuckDbRunner.open({ lake, threads: 1 });
  try {
    const printed: Array<{ command: string; table: string }> = [];
    const rows = new Map<string, readonly Row[]>();
    for (const q of DEMO_QUERIES) {
      const query = findQuery(q.name);
      const result = await runner.run(query, bindParams(q.name, query.params, q.params));
      printed.push({ command: queryCommand(q, displayLake), table: renderTable(result) });
      rows.set(q.name, result.rows);
    }
    const lakeDaily = rows.get('ohlcv')!.map(dailyBarOf);
    const quality = rows.get('data_quality')!;
    const sum = (column: string): number => quality.reduce((s, r) => s + Number(r[column] ?? 0), 0);
    return {
      printed,
      check: {
        daily: compareDaily(expected, lakeDaily),
        lakeDaily,
        ticks: sum('ticks'),
        earlyTicks: sum('early_ticks'),
        outOfOrder: sum('out_of_order'),
        redelivered: sum('redelivered'),
      },
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
