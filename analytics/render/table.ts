/**
 * Results as an aligned text table for a terminal (lib/cli.ts formatTable: numbers right,
 * text left), with doubles rounded to a readable precision. Machine formats (csv, json)
 * keep full precision; this one is for eyes.
 */
import { formatTable } from '../../lib/cli.js';
import type { QueryResult, Value } from '../runners/runner.js';

/** Significant digits shown for doubles in the table. */
const DIGITS = 8;

export function renderTable(result: Pick<QueryResult, 'columns' | 'rows'>): string {
  const doubles = new Set(result.columns.filter((c) => /^(double|float|real|decimal)/.test(c.type)).map((c) => c.name));
  const rows = result.rows.map((r) => {
    const out: Record<string, Value> = {};
    for (const c of result.columns) out[c.name] = doubles.has(c.name) ? roundForDisplay(r[c.name] ?? null) : (r[c.name] ?? null);
    return out;
  });
  if (rows.length === 0) return `${result.columns.map((c) => c.name).join('  ')}\n(no rows)`;
  return formatTable(rows, result.columns.map((c) => c.name));
}

/** A double with at most DIGITS significant digits, trailing zeros dropped; other values as they are. */
export function roundForDisplay(v: Value): Value {
  if (typeof v !== 'number' || Number.isInteger(v)) return v;
  return Number(v.toPrecision(DIGITS));
}
