/**
 * Trading-day dates as CSV files write them. A daily bar needs only its calendar day (the
 * session hours of its exchange give the times), so every format yields a `CalendarDay`.
 *
 * Formats: `iso` (the default: `YYYY-MM-DD`, optionally followed by a time that is
 * ignored), `epoch-s` / `epoch-ms` (the UTC day of that instant), or a pattern of the
 * tokens `YYYY`, `MM`, `M`, `DD`, `D` and literal separators, e.g. `MM/DD/YYYY`,
 * `DD.MM.YYYY`, `YYYYMMDD`; a pattern, like `iso`, accepts a time after the date
 * (`29/06/1979 16:00`, `06/29/1979 4:00 PM`) and ignores it. `auto` is not a format: it is
 * resolved from the file (producer/sources/detect.ts) before a parser is built. Pure.
 */

export interface CalendarDay {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export type DateParser = (text: string) => CalendarDay | null;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
/** A time after a patterned date, ignored: `16:00`, `4:00:59 PM`, `T16:00:00.5Z`. */
const TIME_SUFFIX = '(?:[T ]\\d{1,2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?: ?[AaPp][Mm])?(?:Z| ?[+-]\\d{2}:?\\d{2})?)?';

export function isValidDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1 || year < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function checked(year: number, month: number, day: number): CalendarDay | null {
  return isValidDay(year, month, day) ? { year, month, day } : null;
}

function fromEpochMs(ms: number): CalendarDay | null {
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Builds the parser of a format; throws for a pattern without year, month and day. */
export function dateParser(format: string): DateParser {
  if (format === 'auto') throw new Error('date format "auto" must be resolved from the file before parsing (producer/sources/detect.ts)');
  if (format === 'iso') {
    return (text) => {
      const m = ISO.exec(text.trim());
      return m ? checked(Number(m[1]), Number(m[2]), Number(m[3])) : null;
    };
  }
  if (format === 'epoch-s' || format === 'epoch-ms') {
    const scale = format === 'epoch-s' ? 1000 : 1;
    return (text) => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? fromEpochMs(Number(text) * scale) : null);
  }
  return patternParser(format);
}

const TOKENS: ReadonlyArray<{ token: string; part: 'year' | 'month' | 'day'; regex: string }> = [
  { token: 'YYYY', part: 'year', regex: '(\\d{4})' },
  { token: 'MM', part: 'month', regex: '(\\d{2})' },
  { token: 'DD', part: 'day', regex: '(\\d{2})' },
  { token: 'M', part: 'month', regex: '(\\d{1,2})' },
  { token: 'D', part: 'day', regex: '(\\d{1,2})' },
];

function patternParser(format: string): DateParser {
  let regex = '^';
  const parts: Array<'year' | 'month' | 'day'> = [];
  for (let i = 0; i < format.length; ) {
    const t = TOKENS.find((x) => format.startsWith(x.token, i));
    if (t) {
      regex += t.regex;
      parts.push(t.part);
      i += t.token.length;
    } else {
      regex += format[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    }
  }
  for (const need of ['year', 'month', 'day'] as const) {
    if (parts.filter((p) => p === need).length !== 1) {
      throw new Error(`date format "${format}" must hold exactly one year (YYYY), month (MM or M) and day (DD or D); or use iso, epoch-s, epoch-ms`);
    }
  }
  const re = new RegExp(regex + TIME_SUFFIX + '$');
  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return null;
    const v = { year: 0, month: 0, day: 0 };
    parts.forEach((p, i) => (v[p] = Number(m[i + 1])));
    return checked(v.year, v.month, v.day);
  };
}

/** `YYYY-MM-DD`. */
export function formatDay(d: CalendarDay): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** Days since 1970-01-01, for ordering and gaps. */
export function dayNumber(d: CalendarDay): number {
  return Math.floor(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);
}
