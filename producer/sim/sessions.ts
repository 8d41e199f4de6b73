/**
 * Trading sessions: when a daily bar's ticks happen. Each exchange trades in its own time
 * zone, so a Hong Kong bar's ticks fall at 01:30-08:00 UTC and a New York bar's at
 * 14:30-21:00 UTC (13:30-20:00 in summer: daylight saving follows the zone's rules for that
 * very date, back to 1965). Lunch breaks are not modelled: a session is one interval.
 * Exchanges are known by the names indexInfo.csv uses and by their MIC codes; others get
 * the configured default session. Pure (Intl does the time-zone arithmetic).
 */
import type { CalendarDay } from '../sources/dates.js';

export interface Session {
  /** Minutes after local midnight. */
  readonly openMinute: number;
  readonly closeMinute: number;
  /** IANA time zone. */
  readonly timeZone: string;
}

function s(open: string, close: string, timeZone: string): Session {
  return { openMinute: minuteOf(open), closeMinute: minuteOf(close), timeZone };
}

function minuteOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

const NYSE = s('09:30', '16:00', 'America/New_York');

/** Regular continuous-trading hours, keyed by normalized exchange name or MIC. */
const KNOWN: Record<string, Session> = {
  newyorkstockexchange: NYSE,
  nyse: NYSE,
  xnys: NYSE,
  nasdaq: NYSE,
  xnas: NYSE,
  hongkongstockexchange: s('09:30', '16:00', 'Asia/Hong_Kong'),
  xhkg: s('09:30', '16:00', 'Asia/Hong_Kong'),
  shanghaistockexchange: s('09:30', '15:00', 'Asia/Shanghai'),
  xshg: s('09:30', '15:00', 'Asia/Shanghai'),
  shenzhenstockexchange: s('09:30', '15:00', 'Asia/Shanghai'),
  xshe: s('09:30', '15:00', 'Asia/Shanghai'),
  tokyostockexchange: s('09:00', '15:00', 'Asia/Tokyo'),
  xtks: s('09:00', '15:00', 'Asia/Tokyo'),
  euronext: s('09:00', '17:30', 'Europe/Paris'),
  xpar: s('09:00', '17:30', 'Europe/Paris'),
  torontostockexchange: s('09:30', '16:00', 'America/Toronto'),
  xtse: s('09:30', '16:00', 'America/Toronto'),
  nationalstockexchangeofindia: s('09:15', '15:30', 'Asia/Kolkata'),
  xnse: s('09:15', '15:30', 'Asia/Kolkata'),
  frankfurtstockexchange: s('09:00', '17:30', 'Europe/Berlin'),
  xetr: s('09:00', '17:30', 'Europe/Berlin'),
  xfra: s('09:00', '17:30', 'Europe/Berlin'),
  koreaexchange: s('09:00', '15:30', 'Asia/Seoul'),
  xkrx: s('09:00', '15:30', 'Asia/Seoul'),
  sixswissexchange: s('09:00', '17:30', 'Europe/Zurich'),
  xswx: s('09:00', '17:30', 'Europe/Zurich'),
  taiwanstockexchange: s('09:00', '13:30', 'Asia/Taipei'),
  xtai: s('09:00', '13:30', 'Asia/Taipei'),
  johannesburgstockexchange: s('09:00', '17:00', 'Africa/Johannesburg'),
  xjse: s('09:00', '17:00', 'Africa/Johannesburg'),
  londonstockexchange: s('08:00', '16:30', 'Europe/London'),
  xlon: s('08:00', '16:30', 'Europe/London'),
};

/** Parses `HH:MM-HH:MM Area/City`; throws naming the problem. */
export function parseSession(text: string): Session {
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2}) (\S+)$/.exec(text.trim());
  if (!m) throw new Error(`session "${text}" is not HH:MM-HH:MM Area/City`);
  const open = Number(m[1]) * 60 + Number(m[2]);
  const close = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[2]) > 59 || Number(m[4]) > 59 || close > 24 * 60 || open >= close) {
    throw new Error(`session "${text}": the open must be before the close, within one day`);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: m[5] });
  } catch {
    throw new Error(`session "${text}": unknown time zone ${m[5]}`);
  }
  return { openMinute: open, closeMinute: close, timeZone: m[5]! };
}

export function sessionForExchange(exchange: string | undefined, fallback: Session): Session {
  if (!exchange) return fallback;
  return KNOWN[exchange.toLowerCase().replace(/[^a-z0-9]/g, '')] ?? fallback;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` from UTC at the instant `utcMs`, in milliseconds. */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(utcMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Offset of a zone on a calendar day, taken at local noon. Clocks change at night (the
 * rules of every exchange's zone move them between 00:00 and 03:00), so the offset at noon
 * holds for the whole trading session; two rounds settle it when the first guess lands on
 * the other side of a change.
 */
export function dayOffsetMs(day: CalendarDay, timeZone: string): number {
  const noon = Date.UTC(day.year, day.month - 1, day.day, 12);
  return zoneOffsetMs(noon - zoneOffsetMs(noon, timeZone), timeZone);
}

const boundsCache = new Map<string, { start: number; end: number }>();

/** Session open and close of a day, UTC epoch milliseconds (cached: many symbols share a day). */
export function sessionBounds(day: CalendarDay, session: Session): { start: number; end: number } {
  const key = `${day.year}-${day.month}-${day.day}|${session.timeZone}|${session.openMinute}|${session.closeMinute}`;
  let b = boundsCache.get(key);
  if (!b) {
    if (boundsCache.size > 50_000) boundsCache.clear();
    const midnight = Date.UTC(day.year, day.month - 1, day.day) - dayOffsetMs(day, session.timeZone);
    b = { start: midnight + session.openMinute * 60_000, end: midnight + session.closeMinute * 60_000 };
    boundsCache.set(key, b);
  }
  return b;
}
