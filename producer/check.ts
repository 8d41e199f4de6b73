/**
 * `tickstream produce FILE --check`: what a run would do with a file, without Kafka. The
 * whole file goes through the same reader and checks as a real run (CsvSource, the bar
 * checks, the per-symbol date order of sim/days.ts), but no tick is made or sent. The report
 * says how the file was read and from which evidence, the rows by outcome, the date range
 * of each symbol, and the rejected rows grouped by reason with their first lines and a hint.
 * Publishable (exit 0) when at least one row becomes a bar, unless --strict and too many
 * rows were rejected; an ambiguous date format stops before reading (exit 2, preflight.ts).
 */
import { csvSourceFor, resolveFormat } from './preflight.js';
import { formatRejectGroups, judge, RejectTally, type RejectGroup, type Verdict } from './rejects.js';
import type { ProducerConfig } from './settings.js';
import { DayGrouper } from './sim/days.js';
import type { BomKind } from './sources/bom.js';
import { dayNumber, formatDay, type CalendarDay } from './sources/dates.js';
import { delimiterName, describeColumns, type FileFormat } from './sources/detect.js';

export interface SymbolRange {
  readonly symbol: string;
  /** Publishable bars. */
  readonly bars: number;
  /** First and last date, YYYY-MM-DD. */
  readonly first: string;
  readonly last: string;
}

export interface CheckReport {
  readonly file: string;
  readonly bom: BomKind;
  readonly format: FileFormat;
  /** `symbol=Index date=Date ...` as a run logs it. */
  readonly mapping: string;
  /** Data rows (header and blank lines excluded). */
  readonly rows: number;
  readonly blankLines: number;
  /** Rows that would be published, each as `ticksPerBar` ticks. */
  readonly bars: number;
  readonly ticks: number;
  readonly rejectedRows: number;
  readonly symbols: readonly SymbolRange[];
  readonly rejects: readonly RejectGroup[];
  readonly verdict: Verdict;
}

export async function checkFile(p: ProducerConfig & { readonly file: string }): Promise<CheckReport> {
  const format = resolveFormat(p);
  const csv = csvSourceFor(p, format);
  const tally = new RejectTally();
  // The grouper's own group size does not matter here: only its order check is used.
  const grouper = new DayGrouper();
  const ranges = new Map<string, { bars: number; first: CalendarDay; last: CalendarDay }>();
  let bars = 0;
  for await (const batch of csv.events()) {
    for (const e of batch) {
      if (e.kind === 'reject') {
        tally.add(e.line, e.reason);
        continue;
      }
      const events = grouper.add({ bar: e.bar, line: e.line });
      const rejected = events.find((d) => d.kind === 'reject');
      if (rejected && rejected.kind === 'reject') {
        tally.add(e.line, rejected.reason);
        continue;
      }
      bars += 1;
      const r = ranges.get(e.bar.symbol);
      if (!r) ranges.set(e.bar.symbol, { bars: 1, first: e.bar.date, last: e.bar.date });
      else {
        r.bars += 1;
        if (dayNumber(e.bar.date) < dayNumber(r.first)) r.first = e.bar.date;
        if (dayNumber(e.bar.date) > dayNumber(r.last)) r.last = e.bar.date;
      }
    }
  }
  const rejects = tally.list();
  const rows = csv.progress.rows;
  return {
    file: p.file,
    bom: csv.header?.bom ?? 'none',
    format,
    mapping: csv.header?.mapping ?? '',
    rows,
    blankLines: csv.progress.blankLines,
    bars,
    ticks: bars * p.ticksPerBar,
    rejectedRows: rows - bars,
    symbols: [...ranges.entries()].map(([symbol, r]) => ({ symbol, bars: r.bars, first: formatDay(r.first), last: formatDay(r.last) })).sort((a, b) => a.symbol.localeCompare(b.symbol)),
    rejects,
    verdict: judge({ rows, bars, groups: rejects, maxRejectedPercent: p.maxRejectedPercent, strict: p.strict }),
  };
}

/** Symbols listed one per line on a terminal; the JSON report has all of them. */
export const MAX_SYMBOL_LINES = 20;

const n = (x: number): string => x.toLocaleString('en-US');

export function formatCheck(r: CheckReport): string {
  const f = r.format;
  const lines = [
    `file            ${r.file}${r.bom !== 'none' ? ` (byte-order mark ${r.bom}, removed)` : ''}`,
    `layout          ${f.layout ?? 'no well-known layout; columns by their header names'}`,
    `columns         ${describeColumns(f.columns)}`,
    `delimiter       ${delimiterName(f.delimiter.value)}: ${f.delimiter.evidence}`,
    `decimal mark    "${f.decimal.value}": ${f.decimal.evidence}`,
    `date format     ${f.dateFormat.value}: ${f.dateFormat.evidence}`,
    `rows            ${n(r.rows)} read: ${n(r.bars)} publishable (${n(r.ticks)} ticks), ${n(r.rejectedRows)} rejected (${r.verdict.rejectedPercent}%); ${n(r.blankLines)} blank lines`,
  ];
  if (r.symbols.length > 0) {
    lines.push(`symbols         ${n(r.symbols.length)}`);
    const width = Math.max(...r.symbols.slice(0, MAX_SYMBOL_LINES).map((s) => s.symbol.length));
    for (const s of r.symbols.slice(0, MAX_SYMBOL_LINES)) lines.push(`  ${s.symbol.padEnd(width)}  ${s.first} .. ${s.last}  ${n(s.bars)} bars`);
    if (r.symbols.length > MAX_SYMBOL_LINES) lines.push(`  ... ${n(r.symbols.length - MAX_SYMBOL_LINES)} more (--json lists all)`);
  }
  if (r.rejects.length > 0) lines.push('rejected rows   by reason:', ...formatRejectGroups(r.rejects, '  '));
  if (r.verdict.message) {
    const label = !r.verdict.publishable ? 'NOT PUBLISHABLE' : r.verdict.exitCode !== 0 ? 'FAILED --strict' : 'WARNING        ';
    lines.push(`${label} ${r.verdict.message}`);
  }
  else lines.push(`publishable     yes: ${n(r.bars)} bars of ${n(r.symbols.length)} symbol${r.symbols.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}
