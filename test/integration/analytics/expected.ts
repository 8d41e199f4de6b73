/**
 * The answers of the named queries, computed in plain TypeScript from the rows the lake
 * fixture wrote: an independent implementation of each question (loops and sorts, no SQL),
 * so that a query that computes the wrong thing fails its test.
 */
import { expect } from 'chai';
import { partitionValue } from '../../../lib/lake.js';
import type { TickRow } from '../../support/lake-fixture.js';
import type { Row, Value } from '../../../analytics/runners/runner.js';

export interface Window {
  readonly symbol?: string;
  readonly from: string;
  readonly to: string;
}

export function inWindow(ticks: readonly TickRow[], w: Window): TickRow[] {
  return ticks.filter((t) => (!w.symbol || t.symbol === w.symbol) && partitionValue('day', t.ts) >= w.from && partitionValue('day', t.ts) <= w.to);
}

export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const byTs = (a: TickRow, b: TickRow): number => a.ts - b.ts || a.kafka_partition - b.kafka_partition || a.kafka_offset - b.kafka_offset;

/** Sample standard deviation. */
export function stddev(xs: readonly number[]): number {
  const mean = sum(xs) / xs.length;
  return Math.sqrt(sum(xs.map((x) => (x - mean) ** 2)) / (xs.length - 1));
}

export function ohlcv(ticks: readonly TickRow[], w: Window, stepS: number): Row[] {
  const step = stepS * 1000;
  const groups = groupBy(inWindow(ticks, w), (t) => `${t.symbol}|${Math.floor(t.ts / step) * step}`);
  const rows = [...groups.values()].map((g) => {
    const s = [...g].sort(byTs);
    const volume = sum(s.map((t) => t.volume));
    return {
      symbol: s[0]!.symbol,
      bar_start: iso(Math.floor(s[0]!.ts / step) * step),
      open: s[0]!.price,
      high: Math.max(...s.map((t) => t.price)),
      low: Math.min(...s.map((t) => t.price)),
      close: s[s.length - 1]!.price,
      volume,
      trades: s.length,
      vwap: volume > 0 ? sum(s.map((t) => t.price * t.volume)) / volume : null,
    };
  });
  return rows.sort((a, b) => cmp(a.symbol, b.symbol) || cmp(a.bar_start, b.bar_start));
}

export interface Daily {
  readonly symbol: string;
  readonly day: string;
  readonly close: number;
  readonly volume: number;
  readonly notional: number;
  readonly trades: number;
}

/** Per symbol and UTC day: the last price, the volume and the notional of the ticks. */
export function daily(ticks: readonly TickRow[], w: Window): Daily[] {
  const groups = groupBy(inWindow(ticks, w), (t) => `${t.symbol}|${partitionValue('day', t.ts)}`);
  return [...groups.values()]
    .map((g) => {
      const s = [...g].sort(byTs);
      return {
        symbol: s[0]!.symbol,
        day: partitionValue('day', s[0]!.ts),
        close: s[s.length - 1]!.price,
        volume: sum(s.map((t) => t.volume)),
        notional: sum(s.map((t) => t.price * t.volume)),
        trades: s.length,
      };
    })
    .sort((a, b) => cmp(a.symbol, b.symbol) || cmp(a.day, b.day));
}

export function vwap(ticks: readonly TickRow[], w: Window): Row[] {
  return daily(ticks, w).map((d) => {
    const v = d.volume > 0 ? d.notional / d.volume : null;
    return { symbol: d.symbol, day: d.day, vwap: v, close: d.close, close_vs_vwap_bps: v === null ? null : (d.close / v - 1) * 10_000, volume: d.volume, trades: d.trades };
  });
}

export function returnsVolatility(ticks: readonly TickRow[], w: Window, window: number): Row[] {
  const out: Row[] = [];
  for (const days of groupBy(daily(ticks, w), (d) => d.symbol).values()) {
    const logs: Array<number | null> = [];
    days.forEach((d, i) => {
      const prev = i > 0 ? days[i - 1]!.close : null;
      const ret = prev === null ? null : d.close / prev - 1;
      const logRet = prev === null ? null : Math.log(d.close / prev);
      logs.push(logRet);
      const last = logs.slice(Math.max(0, i - window + 1), i + 1);
      const full = last.length === window && last.every((x) => x !== null);
      out.push({ symbol: d.symbol, day: d.day, close: d.close, ret, log_ret: logRet, volatility: full ? stddev(last as number[]) * Math.sqrt(252) : null });
    });
  }
  return out;
}

export function topMovers(ticks: readonly TickRow[], w: Window, limit: number): Row[] {
  const spans = [...groupBy(daily(ticks, w), (d) => d.symbol).values()]
    .filter((days) => days.length >= 2)
    .map((days) => {
      const first = days[0]!;
      const last = days[days.length - 1]!;
      return { symbol: first.symbol, ret: last.close / first.close - 1, first_day: first.day, first_close: first.close, last_day: last.day, last_close: last.close, days: days.length };
    });
  const gainers = spans.filter((s) => s.ret > 0).sort((a, b) => b.ret - a.ret || cmp(a.symbol, b.symbol)).slice(0, limit);
  const losers = spans.filter((s) => s.ret < 0).sort((a, b) => a.ret - b.ret || cmp(a.symbol, b.symbol)).slice(0, limit);
  return [
    ...gainers.map((s, i) => ({ side: 'gainer', rank: i + 1, ...s })),
    ...losers.map((s, i) => ({ side: 'loser', rank: i + 1, ...s })),
  ];
}

export function maxDrawdown(ticks: readonly TickRow[], w: Window): Row[] {
  const out: Row[] = [];
  for (const days of groupBy(daily(ticks, w), (d) => d.symbol).values()) {
    let peak = -Infinity;
    let peakDay = '';
    let worst = { dd: Infinity, day: '', close: 0, peak: 0, peakDay: '' };
    for (const d of days) {
      if (d.close >= peak) {
        peak = d.close;
        peakDay = d.day;
      }
      const dd = d.close / peak - 1;
      if (dd < worst.dd) worst = { dd, day: d.day, close: d.close, peak, peakDay };
    }
    const recovery = days.find((d) => d.day > worst.day && d.close >= worst.peak)?.day ?? null;
    out.push({ symbol: days[0]!.symbol, max_drawdown: worst.dd, peak_day: worst.peakDay, peak_close: worst.peak, trough_day: worst.day, trough_close: worst.close, recovery_day: recovery });
  }
  return out.sort((a, b) => (a.max_drawdown as number) - (b.max_drawdown as number) || cmp(String(a.symbol), String(b.symbol)));
}

export function maCrossovers(ticks: readonly TickRow[], w: Window, short: number, long: number): Row[] {
  const out: Row[] = [];
  for (const days of groupBy(daily(ticks, w), (d) => d.symbol).values()) {
    const ma = (i: number, n: number): number | null => (i + 1 >= n ? sum(days.slice(i + 1 - n, i + 1).map((d) => d.close)) / n : null);
    let prev: number | null = null;
    days.forEach((d, i) => {
      const s = ma(i, short);
      const l = ma(i, long);
      const diff = s === null || l === null ? null : s - l;
      if (prev !== null && diff !== null && ((prev <= 0 && diff > 0) || (prev >= 0 && diff < 0))) {
        out.push({ symbol: d.symbol, day: d.day, crossover: diff > 0 ? 'golden' : 'death', close: d.close, ma_short: s, ma_long: l });
      }
      prev = diff;
    });
  }
  return out;
}

export function volumeSpikes(ticks: readonly TickRow[], w: Window, window: number, threshold: number): Row[] {
  const out: Row[] = [];
  for (const days of groupBy(daily(ticks, w), (d) => d.symbol).values()) {
    days.forEach((d, i) => {
      if (i < window) return;
      const history = days.slice(i - window, i).map((x) => x.volume);
      const mean = sum(history) / window;
      const sd = stddev(history);
      if (sd === 0) return;
      const z = (d.volume - mean) / sd;
      if (z >= threshold) out.push({ symbol: d.symbol, day: d.day, volume: d.volume, mean_volume: mean, sd_volume: sd, z });
    });
  }
  return out;
}

export function dataQuality(ticks: readonly TickRow[], w: Window, gapS: number, lateS: number): Row[] {
  const out: Row[] = [];
  for (const rows of [...groupBy(inWindow(ticks, w), (t) => t.symbol).values()].sort((a, b) => cmp(a[0]!.symbol, b[0]!.symbol))) {
    const messages = new Set(rows.map((t) => `${t.kafka_partition}/${t.kafka_offset}`)).size;
    const events = new Set(rows.map((t) => `${t.ts}/${t.price}/${t.volume}`)).size;
    const byEvent = [...rows].sort(byTs);
    const gapsMs = byEvent.slice(1).map((t, i) => t.ts - byEvent[i]!.ts);
    const arrival = [...rows].sort((a, b) => a.kafka_partition - b.kafka_partition || a.kafka_offset - b.kafka_offset);
    let newest = -Infinity;
    let outOfOrder = 0;
    for (const t of arrival) {
      if (t.ts < newest) outOfOrder++;
      newest = Math.max(newest, t.ts);
    }
    const lateness = rows.map((t) => t.kafka_ts - t.ts);
    out.push({
      symbol: rows[0]!.symbol,
      ticks: rows.length,
      first_ts: iso(byEvent[0]!.ts),
      last_ts: iso(byEvent[byEvent.length - 1]!.ts),
      duplicate_ticks: messages - events,
      redelivered: rows.length - messages,
      gaps: gapsMs.filter((g) => g > gapS * 1000).length,
      max_gap_s: gapsMs.length > 0 ? Math.max(...gapsMs) / 1000 : null,
      late_ticks: lateness.filter((l) => l > lateS * 1000).length,
      max_lateness_s: Math.max(...lateness) / 1000,
      early_ticks: lateness.filter((l) => l < 0).length,
      out_of_order: outOfOrder,
    });
  }
  return out;
}

/** Rows equal in order and value; numbers to a relative 1e-9 (sums in another order round differently). */
export function expectRows(actual: readonly Row[], expected: readonly Row[]): void {
  expect(actual.map((r) => Object.keys(r)), 'columns').to.deep.equal(expected.map((r) => Object.keys(r)));
  expect(actual.length, 'row count').to.equal(expected.length);
  actual.forEach((row, i) => {
    for (const [k, want] of Object.entries(expected[i]!)) {
      const got: Value = row[k] ?? null;
      const where = `row ${i} (${JSON.stringify(expected[i])}) column ${k}`;
      if (typeof want === 'number' && typeof got === 'number') {
        expect(got, where).to.be.closeTo(want, 1e-9 * Math.max(1, Math.abs(want)));
      } else {
        expect(got, where).to.equal(want);
      }
    }
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
