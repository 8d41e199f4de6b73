/**
 * Results as JSON: `{ query, params, columns, rows, stats }`, rows as objects keyed by
 * column name, values as normalized by the runners (numbers, ISO timestamps, null).
 */
import type { BoundParam } from '../params.js';
import type { QueryResult } from '../runners/runner.js';

export function renderJson(query: string, params: readonly BoundParam[], result: QueryResult): string {
  return `${JSON.stringify(
    {
      query,
      params: Object.fromEntries(params.map((p) => [p.name, p.value])),
      columns: result.columns,
      rows: result.rows,
      stats: result.stats,
    },
    null,
    2,
  )}\n`;
}
