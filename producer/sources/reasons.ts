/**
 * The kinds of reasons a row is rejected for, each with a short label and a hint that says
 * what to do about it. The reasons themselves stay as bars.ts, csv.ts, sim/days.ts and the
 * pipeline write them (they name the row's own values and go to the dead-letter topic);
 * this module only sorts them into kinds, so a summary can say "27,670 x empty row" instead
 * of listing 27,670 lines. Pure.
 */

export interface ReasonKind {
  readonly id: string;
  readonly label: string;
  readonly hint: string;
}

const KINDS: ReadonlyArray<ReasonKind & { readonly match: RegExp }> = [
  // First: its reason quotes the tick's own problem, which would match a row's kind.
  {
    id: 'tick-rejected',
    match: /^tick rejected/,
    label: 'generated tick rejected',
    hint: 'a tick made from a valid bar broke the tick contract: a bug, please report it with the row',
  },
  {
    id: 'empty-row',
    match: /^empty row/,
    label: 'empty row',
    hint: 'rows whose every field is blank (often the trailing rows of a spreadsheet export): nothing to publish from them; delete them to silence this',
  },
  {
    id: 'truncated',
    match: /^truncated row/,
    label: 'truncated last row',
    hint: 'the file was cut off while it was written or downloaded: fetch it again',
  },
  {
    id: 'malformed',
    match: /^malformed CSV/,
    label: 'malformed CSV',
    hint: 'a stray or unclosed double quote: a field holding the delimiter or a quote must be quoted, with inner quotes doubled',
  },
  {
    id: 'field-count',
    match: /^row has \d+ fields?, the header has/,
    label: 'wrong number of fields',
    hint: 'the row splits into more or fewer fields than the header: check the delimiter (--delimiter) and that fields holding it are quoted',
  },
  {
    id: 'symbol-missing',
    match: /^symbol is missing/,
    label: 'symbol missing',
    hint: 'the symbol column is empty in these rows: fill it, or name another column with --map symbol=<column>',
  },
  {
    id: 'date-missing',
    match: /^date is missing/,
    label: 'date missing',
    hint: 'the date column is empty in these rows: nothing to place the bar on',
  },
  {
    id: 'bad-date',
    match: /^date ".*" is not a valid date in format /,
    label: 'date not in the format used',
    hint: 'the date does not fit the date format in use, or is impossible (31/02): run with --check to see the format found, and pass the file\'s own with --date-format, e.g. --date-format DD/MM/YYYY',
  },
  {
    id: 'no-prices',
    match: / (is|are) (null|missing)(;|$)/,
    label: 'prices missing or null',
    hint: 'the source has no prices for these days (Kaggle writes "null"): nothing to publish from them',
  },
  {
    id: 'not-a-number',
    match: / (is|are) not a number/,
    label: 'number not readable',
    hint: 'numbers must be plain decimals such as 1234.5 (no thousands separators or currency signs); decimal commas need a ";" or tab delimiter and --decimal ","',
  },
  {
    id: 'not-positive',
    match: /is not positive$/,
    label: 'price not positive',
    hint: 'every price must be above 0: a 0 usually stands for "no trade" in the source',
  },
  {
    id: 'not-a-bar',
    match: /is below low|is outside low\.\.high/,
    label: 'inconsistent bar',
    hint: 'open or close outside low..high (or high below low) in the source: such a bar cannot be replayed exactly',
  },
  {
    id: 'volume',
    match: /^volume .* is (not an integer|negative)$/,
    label: 'volume not a whole number >= 0',
    hint: 'volumes must be whole numbers of shares, 0 or more',
  },
  {
    id: 'out-of-order',
    match: /is not after the previous bar of /,
    label: 'date out of order or repeated',
    hint: "a symbol's bars must be in date order without repeated days, or its ticks would go back in time: sort the file by symbol and date",
  },
];

const OTHER: ReasonKind = { id: 'other', label: 'other', hint: 'see the reason in the example' };

/** The kind of a rejection reason (`other` for one no kind matches). */
export function reasonKind(reason: string): ReasonKind {
  const k = KINDS.find((x) => x.match.test(reason));
  return k ? { id: k.id, label: k.label, hint: k.hint } : OTHER;
}

/** Every kind, for the docs and tests. */
export function reasonKinds(): readonly ReasonKind[] {
  return [...KINDS.map(({ id, label, hint }) => ({ id, label, hint })), OTHER];
}
