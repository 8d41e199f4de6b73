/**
 * What a CSV file of daily bars looks like, inferred from its head (producer/sources/head.ts):
 * the delimiter, the decimal mark, the date format, and the layout its header follows, each
 * with the evidence it was decided from, so `--check` and the run's log can say why.
 *
 * - Delimiter: `,` `;` or tab, the one that splits the header into the most fields and the
 *   sampled rows into as many.
 * - Decimal mark: a point, or a comma when the delimiter is not one (`;` or tab) and the
 *   prices are written `123,45`.
 * - Dates: ISO, year-first with another separator, `YYYYMMDD`, day-first or month-first
 *   with any separator (`/ . -` or a space), epoch seconds or milliseconds, each with or
 *   without a time. A value that only one reading allows (a day above 12) decides between
 *   day-first and month-first; when every sampled date reads both ways the file is
 *   ambiguous, and the caller refuses it naming both candidates.
 * - Layout: Kaggle, Yahoo, stooq, Alpha Vantage, or a `Ticker`/`Index`/`Name`/`Symbol`
 *   column: named for the user; the roles themselves come from `mapColumns`.
 *
 * Explicit settings are never second-guessed: a value other than `auto` is used as given.
 * Pure.
 */
import { mapColumns, normalizeHeader, stripBomText, type ColumnMap } from './columns.js';
import { dateParser, type DateParser } from './dates.js';
import { fieldParser } from './fields.js';
import type { CsvRecord } from './records.js';

export const DELIMITERS = [',', ';', '\t'] as const;
export type DecimalMark = '.' | ',';

/** Sampled dates at most (the head may hold more rows). */
export const MAX_DATE_SAMPLES = 5000;
/** Sampled rows for the delimiter and the decimal mark. */
const MAX_ROW_SAMPLES = 200;
/** Spellings of "no value": not dates, not prices (as in bars.ts). */
const NULLISH = new Set(['null', 'nan', 'n/a', 'na', '-', '#n/a', 'none', 'nil']);

/** `"\t"` reads badly in messages. */
export function delimiterName(d: string): string {
  return d === '\t' ? 'tab' : `"${d}"`;
}

// ---------------------------------------------------------------- delimiter

export interface Decision<T> {
  readonly value: T;
  /** Why: `--delimiter`, or what in the file showed it. */
  readonly evidence: string;
}

/** Non-blank records: the header first, then data rows. */
function nonBlank(records: readonly CsvRecord[]): CsvRecord[] {
  return records.filter((r) => r.text.trim().length > 0);
}

function fieldCount(text: string, delimiter: string): number {
  try {
    return fieldParser(delimiter)(text).length;
  } catch {
    return 0;
  }
}

export function detectDelimiter(records: readonly CsvRecord[]): Decision<string> {
  const [header, ...rows] = nonBlank(records);
  if (!header) return { value: ',', evidence: 'the file has no header row; assumed ","' };
  const sample = rows.slice(0, MAX_ROW_SAMPLES);
  let best: { d: string; fields: number; alike: number } | null = null;
  for (const d of DELIMITERS) {
    const fields = fieldCount(header.text, d);
    if (fields < 2) continue;
    const alike = sample.filter((r) => fieldCount(r.text, d) === fields).length;
    // Rows that split like the header count first; then more fields (a header can hold a
    // comma inside a `;`-separated name only when quoted, which the parser honours).
    if (!best || alike > best.alike || (alike === best.alike && fields > best.fields)) best = { d, fields, alike };
  }
  if (!best) return { value: ',', evidence: 'no ",", ";" or tab splits the header into columns; assumed ","' };
  return {
    value: best.d,
    evidence: `${delimiterName(best.d)} splits the header into ${best.fields} columns` + (sample.length > 0 ? ` and ${best.alike} of ${sample.length} sampled rows alike` : ''),
  };
}

// ---------------------------------------------------------------- decimal mark

const POINT_NUMBER = /^[+-]?\d*\.\d+$/;
const COMMA_NUMBER = /^[+-]?\d*,\d+$/;

/** Prices of the sampled rows, by the column map. */
function priceSamples(rows: readonly CsvRecord[], delimiter: string, columns: ColumnMap): string[] {
  const parse = fieldParser(delimiter);
  const out: string[] = [];
  for (const r of rows.slice(0, MAX_ROW_SAMPLES)) {
    let fields: string[];
    try {
      fields = parse(r.text);
    } catch {
      continue;
    }
    for (const role of ['open', 'high', 'low', 'close'] as const) {
      const i = columns[role];
      const v = i === undefined ? undefined : fields[i]?.trim();
      if (v) out.push(v);
    }
  }
  return out;
}

export function detectDecimal(delimiter: string, prices: readonly string[]): Decision<DecimalMark> {
  if (delimiter === ',') return { value: '.', evidence: 'the delimiter is ",", so decimals use a point' };
  const comma = prices.filter((p) => COMMA_NUMBER.test(p));
  const point = prices.filter((p) => POINT_NUMBER.test(p));
  if (comma.length > point.length) {
    return { value: ',', evidence: `${comma.length} of ${prices.length} sampled prices are written with a decimal comma (e.g. "${comma[0]}")` };
  }
  return {
    value: '.',
    evidence: point.length > 0 ? `${point.length} of ${prices.length} sampled prices use a decimal point (e.g. "${point[0]}")` : 'no sampled price has a decimal comma',
  };
}

// ---------------------------------------------------------------- dates

export interface DateSample {
  readonly text: string;
  readonly line: number;
}

export type DateDetection =
  | { readonly kind: 'found'; readonly format: string; readonly evidence: string }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly [string, string]; readonly evidence: string };

type Family = 'iso' | 'year-first' | 'compact' | 'day-first' | 'month-first' | 'epoch-s' | 'epoch-ms';

interface Candidate {
  readonly format: string;
  readonly family: Family;
  readonly parse: DateParser;
}

/** Epoch values by their digits: seconds 9-10 (1973-2286, and back to 1938 negative), milliseconds 11-13. */
const EPOCH_S = /^-?\d{9,10}(\.\d+)?$/;
const EPOCH_MS = /^-?\d{11,13}$/;
const SEPARATORS = ['/', '.', '-', ' '] as const;

function guarded(format: string, shape: RegExp): DateParser {
  const parse = dateParser(format);
  return (text) => (shape.test(text.trim()) ? parse(text) : null);
}

/**
 * Every format detection tries, best first: within a family the two-digit form (`DD/MM`)
 * precedes the one-or-two-digit form (`D/M`), so the stricter name wins a tie.
 */
function candidates(): Candidate[] {
  const out: Candidate[] = [{ format: 'iso', family: 'iso', parse: dateParser('iso') }];
  for (const s of ['/', '.']) {
    out.push({ format: `YYYY${s}MM${s}DD`, family: 'year-first', parse: dateParser(`YYYY${s}MM${s}DD`) });
    out.push({ format: `YYYY${s}M${s}D`, family: 'year-first', parse: dateParser(`YYYY${s}M${s}D`) });
  }
  out.push({ format: 'YYYY-M-D', family: 'year-first', parse: dateParser('YYYY-M-D') });
  out.push({ format: 'YYYYMMDD', family: 'compact', parse: guarded('YYYYMMDD', /^\d{8}(\D|$)/) });
  for (const s of SEPARATORS) {
    out.push({ format: `DD${s}MM${s}YYYY`, family: 'day-first', parse: dateParser(`DD${s}MM${s}YYYY`) });
    out.push({ format: `D${s}M${s}YYYY`, family: 'day-first', parse: dateParser(`D${s}M${s}YYYY`) });
    out.push({ format: `MM${s}DD${s}YYYY`, family: 'month-first', parse: dateParser(`MM${s}DD${s}YYYY`) });
    out.push({ format: `M${s}D${s}YYYY`, family: 'month-first', parse: dateParser(`M${s}D${s}YYYY`) });
  }
  out.push({ format: 'epoch-s', family: 'epoch-s', parse: guarded('epoch-s', EPOCH_S) });
  out.push({ format: 'epoch-ms', family: 'epoch-ms', parse: guarded('epoch-ms', EPOCH_MS) });
  return out;
}

const at = (s: DateSample): string => `"${s.text}" (line ${s.line})`;

function describeFamily(family: Family): string {
  switch (family) {
    case 'iso':
      return 'ISO dates';
    case 'year-first':
      return 'year-first dates';
    case 'compact':
      return 'dates written as 8 digits, year first';
    case 'day-first':
      return 'day-first dates';
    case 'month-first':
      return 'month-first dates';
    case 'epoch-s':
      return 'epoch seconds (9 or 10 digits)';
    case 'epoch-ms':
      return 'epoch milliseconds (11 to 13 digits)';
  }
}

/** The other reading of a day-first or month-first pattern: `DD/MM/YYYY` <-> `MM/DD/YYYY`. */
export function swapDayMonth(format: string): string {
  return format.replace(/DD|D|MM|M/g, (t) => (t.startsWith('D') ? t.replace(/D/g, 'M') : t.replace(/M/g, 'D')));
}

/**
 * The format the sampled dates are written in. Throws nothing: a sample no format reads
 * falls back to `iso` and says so (every row then tells its own reason).
 */
export function detectDateFormat(samples: readonly DateSample[]): DateDetection {
  const values = samples.filter((s) => s.text.trim().length > 0 && !NULLISH.has(s.text.trim().toLowerCase())).slice(0, MAX_DATE_SAMPLES);
  if (values.length === 0) return { kind: 'found', format: 'iso', evidence: 'no dates in the sampled rows; assumed iso' };
  const scored = candidates().map((c) => ({ c, ok: values.filter((v) => c.parse(v.text) !== null).length }));
  const bestCount = Math.max(...scored.map((s) => s.ok));
  if (bestCount === 0) {
    return {
      kind: 'found',
      format: 'iso',
      evidence: `no known format reads the sampled dates (e.g. ${at(values[0]!)}); assumed iso: name the format with --date-format, e.g. DD/MM/YYYY`,
    };
  }
  const best = scored.filter((s) => s.ok === bestCount);
  const winner = best[0]!.c;
  const coverage = bestCount === values.length ? `all ${values.length} sampled dates` : `${bestCount} of ${values.length} sampled dates (the others are rejected rows)`;

  if (winner.family === 'day-first' || winner.family === 'month-first') {
    const other = winner.family === 'day-first' ? 'month-first' : 'day-first';
    const rival = best.find((s) => s.c.family === other)?.c;
    if (rival) {
      // Both readings fit every date. When day and month are equal in every one they
      // give the same days, so there is nothing to choose.
      const differ = values.find((v) => {
        const a = winner.parse(v.text);
        const b = rival.parse(v.text);
        return a !== null && b !== null && (a.month !== b.month || a.day !== b.day);
      });
      if (differ) {
        const pair: [string, string] = winner.family === 'day-first' ? [winner.format, rival.format] : [rival.format, winner.format];
        return {
          kind: 'ambiguous',
          candidates: pair,
          evidence: `${coverage} read both day-first and month-first (none has a day above 12), e.g. ${at(differ)}`,
        };
      }
      return { kind: 'found', format: winner.format, evidence: `${coverage} have the same day and month, so both readings give the same days; read as ${winner.format}` };
    }
    // The deciding value: one this reading parses and the other one does not.
    const otherFormat = swapDayMonth(winner.format);
    const otherParse = dateParser(otherFormat);
    const decider = values.find((v) => winner.parse(v.text) !== null && otherParse(v.text) === null);
    const reason = decider
      ? `${at(decider)} has a day above 12 in the ${winner.family === 'day-first' ? 'first' : 'second'} place, so the dates are ${winner.family}`
      : `only the ${winner.family} reading fits`;
    return { kind: 'found', format: winner.format, evidence: `${describeFamily(winner.family)}: ${reason}; ${winner.format} reads ${coverage}` };
  }
  const example = values.find((v) => winner.parse(v.text) !== null)!;
  return { kind: 'found', format: winner.format, evidence: `${describeFamily(winner.family)}, e.g. ${at(example)}; ${winner.format} reads ${coverage}` };
}

// ---------------------------------------------------------------- layout

/** The well-known layout a header follows, for the user; null when it is none of them. */
export function detectLayout(header: readonly string[], columns: ColumnMap): string | null {
  const raw = header.map((h) => stripBomText(h).trim());
  const names = raw.map(normalizeHeader);
  const has = (n: string): boolean => names.includes(n);
  if (raw.length > 0 && raw.every((h) => /^<[^>]+>$/.test(h))) return 'stooq (<TICKER>,<DATE>,<OPEN>,... angle-bracket header)';
  if (raw[0] === 'timestamp' && has('open') && has('close')) return 'Alpha Vantage (timestamp,open,high,low,close,volume)';
  if (has('index') && has('adjclose')) return `Kaggle stock exchange data (Index,Date,Open,High,Low,Close,Adj Close,Volume${has('closeusd') ? ',CloseUSD' : ''})`;
  if (raw.includes('Name') && raw.includes('date')) return 'Kaggle S&P 500 (date,open,high,low,close,volume,Name)';
  if (has('adjclose') && columns.symbol === undefined) return 'Yahoo Finance (Date,Open,High,Low,Close,Adj Close,Volume; one symbol per file)';
  if (columns.symbol !== undefined) return `one row per symbol and day, symbol in column "${raw[columns.symbol]}"`;
  return null;
}

// ---------------------------------------------------------------- all together

export interface FormatRequest {
  /** `auto` or a format (dates.ts). */
  readonly dateFormat: string;
  /** `auto` or one character. */
  readonly delimiter: string;
  /** `auto`, `.` or `,`. */
  readonly decimal: string;
  readonly map?: Readonly<Record<string, string>>;
  /** Symbol of a file without a symbol column (--symbol, else the file name). */
  readonly fixedSymbol: string;
  /** Which flag and variable set the symbol, for the evidence. */
  readonly symbolFrom: string;
}

export interface FileFormat {
  readonly delimiter: Decision<string>;
  readonly decimal: Decision<DecimalMark>;
  readonly dateFormat: Decision<string>;
  readonly layout: string | null;
  /** Each mapped role, its column (or the fixed symbol) and why. */
  readonly columns: readonly ColumnEvidence[];
}

export interface ColumnEvidence {
  readonly role: string;
  /** The header name, or the symbol itself when the file has no symbol column. */
  readonly column: string;
  /** `recognised header name`, `set by --map`, `no symbol column: the file name`... */
  readonly from: string;
}

/** `symbol=AAPL (no symbol column: the file name); by header name: date=Date open=Open ...`. */
export function describeColumns(columns: readonly ColumnEvidence[]): string {
  const groups = new Map<string, string[]>();
  for (const c of columns) groups.set(c.from, [...(groups.get(c.from) ?? []), `${c.role}=${c.column}`]);
  return [...groups.entries()].map(([from, list]) => `${from}: ${list.join(' ')}`).join('; ');
}

export type FormatDetection =
  | { readonly kind: 'found'; readonly format: FileFormat }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly [string, string]; readonly evidence: string; readonly partial: Omit<FileFormat, 'dateFormat'> };

/** Decides the format of a file from its head. Throws when the header cannot be mapped (as the replay would). */
export function detectFormat(records: readonly CsvRecord[], request: FormatRequest): FormatDetection {
  const delimiter: Decision<string> =
    request.delimiter === 'auto' ? detectDelimiter(records) : { value: request.delimiter, evidence: 'set by --delimiter (TICKSTREAM_PRODUCER_DELIMITER)' };
  const [header, ...rows] = nonBlank(records);
  const names = header ? fieldParser(delimiter.value)(header.text) : [];
  const columns = header ? mapColumns(names, request.map ?? {}, { symbolFallback: true }) : {};
  const explicit = new Set(Object.keys(request.map ?? {}));
  const columnEvidence: ColumnEvidence[] = Object.entries(columns).map(([role, i]) => ({
    role,
    column: stripBomText(names[i]!).trim(),
    from: explicit.has(role) ? 'set by --map' : 'recognised header names',
  }));
  if (header && columns.symbol === undefined) columnEvidence.unshift({ role: 'symbol', column: request.fixedSymbol, from: `no symbol column, ${request.symbolFrom}` });

  const decimal: Decision<DecimalMark> =
    request.decimal === 'auto'
      ? detectDecimal(delimiter.value, priceSamples(rows, delimiter.value, columns))
      : { value: request.decimal as DecimalMark, evidence: 'set by --decimal (TICKSTREAM_PRODUCER_DECIMAL)' };
  if (decimal.value === ',' && delimiter.value === ',') {
    throw new Error('a decimal comma needs another delimiter than ","; pass --delimiter ";" (or tab) with --decimal ","');
  }
  const layout = header ? detectLayout(names, columns) : null;
  const partial = { delimiter, decimal, layout, columns: columnEvidence };

  if (request.dateFormat !== 'auto') {
    return { kind: 'found', format: { ...partial, dateFormat: { value: request.dateFormat, evidence: 'set by --date-format (TICKSTREAM_PRODUCER_DATE_FORMAT)' } } };
  }
  const dateColumn = columns.date;
  const samples: DateSample[] = [];
  if (dateColumn !== undefined) {
    const parse = fieldParser(delimiter.value);
    for (const r of rows) {
      if (samples.length >= MAX_DATE_SAMPLES) break;
      try {
        const v = parse(r.text)[dateColumn]?.trim();
        if (v) samples.push({ text: v, line: r.line });
      } catch {
        // A malformed row is the replay's to report.
      }
    }
  }
  const dates = detectDateFormat(samples);
  if (dates.kind === 'ambiguous') return { kind: 'ambiguous', candidates: dates.candidates, evidence: dates.evidence, partial };
  return { kind: 'found', format: { ...partial, dateFormat: { value: dates.format, evidence: dates.evidence } } };
}

/** The refusal of an ambiguous file: both candidates and the flag that picks one. */
export function ambiguityMessage(file: string, candidates: readonly [string, string], evidence: string): string {
  return (
    `cannot tell the date format of ${file}: ${evidence}. Nothing was published. ` +
    `Choose with --date-format ${candidates[0]} (day first) or --date-format ${candidates[1]} (month first), ` +
    'or TICKSTREAM_PRODUCER_DATE_FORMAT'
  );
}
