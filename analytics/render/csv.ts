/**
 * Results as CSV (RFC 4180): a header row, CRLF line ends, a field quoted when it holds a
 * comma, a quote or a line break, quotes doubled. NULL is an empty field.
 */
import type { QueryResult, Value } from '../runners/runner.js';

export function renderCsv(result: Pick<QueryResult, 'columns' | 'rows'>): string {
  const names = result.columns.map((c) => c.name);
  const lines = [names.map(csvField), ...result.rows.map((r) => names.map((n) => csvField(r[n] ?? null)))];
  return lines.map((l) => l.join(',')).join('\r\n') + '\r\n';
}

export function csvField(v: Value): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
