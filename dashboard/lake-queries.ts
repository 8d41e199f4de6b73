/**
 * Named queries over the local lake, for the dashboard's "from the lake" panels and the
 * demo's printed results: the same query files and DuckDB runner as `tickstream query`.
 * A runner is opened per refresh so every refresh sees the files written since the last.
 */
import { bindParams } from '../analytics/params.js';
import { findQuery } from '../analytics/query-catalog.js';
import type { QueryPanel } from './server.js';

export interface PanelQuery {
  readonly name: string;
  readonly title: string;
  /** Parameter values as text, by name (as on the command line). */
  readonly params: Readonly<Record<string, string>>;
  /** Rows shown at most. */
  readonly maxRows?: number;
}

/** What the dashboard shows: compact, one row per symbol, meaningful after a few minutes of data. */
export const DASHBOARD_QUERIES: readonly PanelQuery[] = [
  { name: 'vwap', title: 'VWAP per symbol and day', params: {}, maxRows: 10 },
  { name: 'data_quality', title: 'data quality per symbol', params: {}, maxRows: 10 },
];

export async function runLakeQueries(lake: string, queries: readonly PanelQuery[] = DASHBOARD_QUERIES): Promise<QueryPanel[]> {
  const { DuckDbRunner } = await import('../analytics/runners/duckdb.js');
  let runner: Awaited<ReturnType<typeof DuckDbRunner.open>>;
  try {
    runner = await DuckDbRunner.open({ lake, threads: 1 });
  } catch (err) {
    // Typically: nothing written yet. Each panel says so instead of the page showing nothing.
    const message = (err as Error).message.split('\n')[0] ?? 'no data yet';
    return queries.map((q) => ({ name: q.name, title: q.title, columns: [], rows: [], error: message, at: Date.now() }));
  }
  try {
    const panels: QueryPanel[] = [];
    for (const q of queries) {
      try {
        const query = findQuery(q.name);
        const result = await runner.run(query, bindParams(q.name, query.params, q.params));
        panels.push({
          name: q.name,
          title: q.title,
          columns: result.columns.map((c) => c.name),
          rows: result.rows.slice(0, q.maxRows ?? 20),
          at: Date.now(),
        });
      } catch (err) {
        panels.push({ name: q.name, title: q.title, columns: [], rows: [], error: (err as Error).message, at: Date.now() });
      }
    }
    return panels;
  } finally {
    await runner.close();
  }
}
