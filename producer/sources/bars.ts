/**
 * One CSV row to one daily bar, or the reason it cannot be one. Every rule a bar must meet
 * before it can be turned into ticks is here: present and numeric fields (the literal
 * `null` of Kaggle's files, empty cells, `N/A`), positive prices, low <= open, close <= high,
 * an integer volume >= 0, a date in the configured format, and a row that is complete.
 * Pure: the caller attaches file and line to the reason for the dead letter.
 */
import type { ColumnMap } from './columns.js';
import type { CalendarDay, DateParser } from './dates.js';

export interface Bar {
  readonly symbol: string;
  readonly date: CalendarDay;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Decimal places the prices were written with; simulated prices keep that precision. */
  readonly decimals: number;
  readonly exchange?: string;
  readonly currency?: string;
}

export type BarCheck = { readonly ok: true; readonly bar: Bar } | { readonly ok: false; readonly reason: string; readonly symbol?: string };

export interface RowContext {
  readonly columns: ColumnMap;
  readonly headerLength: number;
  readonly parseDate: DateParser;
  /** Symbol of every row when the file has no symbol column. */
  readonly fixedSymbol?: string;
  /** The format's name, for the error message. */
  readonly dateFormat: string;
  /** Decimal mark of the prices and volumes: `,` only in files whose delimiter is not a comma. Default `.`. */
  readonly decimal?: '.' | ',';
}

/** Decimal number as written in data files: digits after a point are required. */
const DECIMAL = /^[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?$/;
/** What a number cut off by a truncated file looks like: `2913.`, `1.5e`, `-`. */
const CUT_NUMBER = /^[+-]?(\d*\.|\d+(\.\d+)?[eE][+-]?|[+-])$/;
/** Spellings of "no value" seen in market data exports. */
const NULLISH = new Set(['null', 'nan', 'n/a', 'na', '-', '#n/a', 'none', 'nil']);
const MAX_DECIMALS = 8;

type FieldValue = { ok: true; value: number; decimals: number } | { ok: false; problem: 'missing' | 'null' | 'bad'; text: string };

/** `123,45` as `123.45` in a file with decimal commas (one comma, no point; anything else stays as written and fails). */
const COMMA_DECIMAL = /^[+-]?\d*,\d+([eE][+-]?\d+)?$/;

function numberField(text: string | undefined, decimal: '.' | ',' = '.'): FieldValue {
  const written = (text ?? '').trim();
  if (written.length === 0) return { ok: false, problem: 'missing', text: written };
  if (NULLISH.has(written.toLowerCase())) return { ok: false, problem: 'null', text: written };
  const t = decimal === ',' && COMMA_DECIMAL.test(written) ? written.replace(',', '.') : written;
  if (decimal === ',' && t === written && written.includes('.')) return { ok: false, problem: 'bad', text: written };
  if (!DECIMAL.test(t)) return { ok: false, problem: 'bad', text: t };
  const value = Number(t);
  if (!Number.isFinite(value)) return { ok: false, problem: 'bad', text: t };
  const point = t.indexOf('.');
  const exp = t.search(/[eE]/);
  const decimals = point < 0 ? 0 : (exp < 0 ? t.length : exp) - point - 1;
  return { ok: true, value, decimals };
}

/**
 * The reason a last row that the file ended in the middle of (no line break after it) is
 * incomplete, or null when it looks whole. A cut between two digits cannot be told from a
 * shorter number; a cut that leaves fewer fields, an open quote or a dangling `.`, `e` or
 * sign can, in any column (mapped or not).
 */
export function truncationReason(fields: readonly string[], headerLength: number, header: readonly string[]): string | null {
  if (fields.length < headerLength) {
    return `truncated row: the file ends in the middle of it (${fields.length} of ${headerLength} fields, no line break at the end)`;
  }
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!.trim();
    if (CUT_NUMBER.test(f)) {
      return `truncated row: the file ends in the middle of it (field ${header[i] ?? `#${i + 1}`} "${f}" is cut short, no line break at the end)`;
    }
  }
  return null;
}

const PRICE_ROLES = ['open', 'high', 'low', 'close'] as const;

export function checkBarRow(fields: readonly string[], ctx: RowContext): BarCheck {
  const { columns } = ctx;
  const symbolText = columns.symbol !== undefined ? (fields[columns.symbol] ?? '').trim() : (ctx.fixedSymbol ?? '');
  const symbol = symbolText.length > 0 ? symbolText : undefined;
  const fail = (reason: string): BarCheck => ({ ok: false, reason, ...(symbol ? { symbol } : {}) });

  // A row of empty cells (a spreadsheet's trailing rows) says nothing, whatever its width.
  if (fields.every((f) => f.trim().length === 0)) return fail('empty row: every field is blank');
  if (fields.length !== ctx.headerLength) {
    return fail(`row has ${fields.length} field${fields.length === 1 ? '' : 's'}, the header has ${ctx.headerLength}`);
  }
  if (!symbol) return fail('symbol is missing');

  const dateText = (fields[columns.date!] ?? '').trim();
  if (dateText.length === 0) return fail('date is missing');
  const date = ctx.parseDate(dateText);
  if (!date) return fail(`date "${dateText}" is not a valid date in format ${ctx.dateFormat}`);

  // Collect every bad numeric field: "open, high, low, close, volume are null" says more
  // than the first one alone.
  const problems = { missing: [] as string[], null: [] as string[], bad: [] as string[] };
  const prices: Record<(typeof PRICE_ROLES)[number], number> = { open: 0, high: 0, low: 0, close: 0 };
  let decimals = 0;
  for (const role of PRICE_ROLES) {
    const v = numberField(fields[columns[role]!], ctx.decimal);
    if (v.ok) {
      prices[role] = v.value;
      decimals = Math.max(decimals, v.decimals);
    } else problems[v.problem].push(v.problem === 'bad' ? `${role} "${v.text}"` : role);
  }
  let volume = 0;
  if (columns.volume !== undefined) {
    const v = numberField(fields[columns.volume], ctx.decimal);
    if (v.ok) volume = v.value;
    else problems[v.problem].push(v.problem === 'bad' ? `volume "${v.text}"` : 'volume');
  }
  const parts: string[] = [];
  if (problems.null.length > 0) parts.push(`${problems.null.join(', ')} ${problems.null.length > 1 ? 'are' : 'is'} null`);
  if (problems.missing.length > 0) parts.push(`${problems.missing.join(', ')} ${problems.missing.length > 1 ? 'are' : 'is'} missing`);
  if (problems.bad.length > 0) parts.push(`${problems.bad.join(', ')} ${problems.bad.length > 1 ? 'are' : 'is'} not a number`);
  if (parts.length > 0) return fail(parts.join('; '));

  for (const role of PRICE_ROLES) if (prices[role] <= 0) return fail(`${role} ${prices[role]} is not positive`);
  const { open, high, low, close } = prices;
  if (high < low) return fail(`high ${high} is below low ${low}`);
  if (open < low || open > high) return fail(`open ${open} is outside low..high ${low}..${high}`);
  if (close < low || close > high) return fail(`close ${close} is outside low..high ${low}..${high}`);
  if (!Number.isSafeInteger(volume)) return fail(`volume ${volume} is not an integer`);
  if (volume < 0) return fail(`volume ${volume} is negative`);

  const bar: { -readonly [K in keyof Bar]: Bar[K] } = {
    symbol,
    date,
    open,
    high,
    low,
    close,
    volume,
    decimals: Math.min(decimals, MAX_DECIMALS),
  };
  const exchange = columns.exchange !== undefined ? fields[columns.exchange]?.trim() : undefined;
  const currency = columns.currency !== undefined ? fields[columns.currency]?.trim() : undefined;
  if (exchange) bar.exchange = exchange;
  if (currency) bar.currency = currency;
  return { ok: true, bar };
}
