/**
 * The demo's session model, without services: which days it replays, the file it hands the
 * producer, and the simulated sessions of those days. Each day's ticks, aggregated the way
 * `query ohlcv --interval 1d` aggregates the lake (first, max, min, last price and summed
 * volume per symbol and UTC day), must give back the sample's daily bars exactly, and lie
 * inside the exchange session of that very day.
 */
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareDaily, dailyOf, LastDays, replayCsv, replayRate, type DailyBar } from '../../../demo/days.js';
import { barTicks, mergeByTime, type SimTick } from '../../../producer/sim/daily.js';
import { parseSession, sessionBounds, sessionForExchange } from '../../../producer/sim/sessions.js';
import type { Bar } from '../../../producer/sources/bars.js';
import { CsvSource } from '../../../producer/sources/csv.js';
import { formatDay } from '../../../producer/sources/dates.js';

const NY = parseSession('09:30-16:00 America/New_York');

async function barsOf(file: string): Promise<{ bars: Bar[]; rejects: number }> {
  const bars: Bar[] = [];
  let rejects = 0;
  for await (const batch of new CsvSource({ file, dateFormat: 'iso', delimiter: ',' }).events()) {
    for (const e of batch) {
      if (e.kind === 'bar') bars.push(e.bar);
      else rejects += 1;
    }
  }
  return { bars, rejects };
}

/** What `query ohlcv --interval 1d` computes from ticks: per symbol and UTC day. */
function dailyFromTicks(ticks: readonly SimTick[]): DailyBar[] {
  const out = new Map<string, { symbol: string; day: string; open: number; high: number; low: number; close: number; volume: number; firstTs: number; lastTs: number }>();
  for (const t of ticks) {
    const day = new Date(t.ts).toISOString().slice(0, 10);
    const key = `${t.symbol} ${day}`;
    const d = out.get(key);
    if (!d) {
      out.set(key, { symbol: t.symbol, day, open: t.price, high: t.price, low: t.price, close: t.price, volume: t.volume, firstTs: t.ts, lastTs: t.ts });
      continue;
    }
    if (t.ts < d.firstTs) [d.open, d.firstTs] = [t.price, t.ts];
    if (t.ts >= d.lastTs) [d.close, d.lastTs] = [t.price, t.ts];
    d.high = Math.max(d.high, t.price);
    d.low = Math.min(d.low, t.price);
    d.volume += t.volume;
  }
  return [...out.values()].map(({ symbol, day, open, high, low, close, volume }) => ({ symbol, day, open, high, low, close, volume }));
}

describe('demo: the replayed days and their sessions', function () {
  this.timeout(60_000);

  it('keeps the bars of the last N dates, in date then symbol order, in bounded memory, and counts repeated days', () => {
    const bar = (symbol: string, day: number, close = 10): Bar => ({ symbol, date: { year: 2024, month: 3, day }, open: 10, high: 11, low: 9, close, volume: 100, decimals: 2 });
    const last = new LastDays(2);
    // Out of order on purpose: a file sorted by symbol, then date.
    for (const b of [bar('B', 4), bar('B', 5), bar('B', 1), bar('A', 5), bar('A', 3), bar('A', 4), bar('A', 4, 99)]) last.add(b);
    expect(last.bars().map((b) => `${b.symbol}${b.date.day}`)).to.deep.equal(['A4', 'B4', 'A5', 'B5']);
    expect(last.bars().find((b) => b.symbol === 'A' && b.date.day === 4)!.close, 'the first bar of a day is kept').to.equal(10);
    expect(last.duplicates).to.equal(1);
    expect(() => new LastDays(0)).to.throw(/days must be a whole number >= 1/);
  });

  it('writes a CSV the producer reads back to the same bars (prices at their precision, exchange and currency)', async () => {
    const { bars } = await barsOf('data/sample-daily.csv');
    const last = new LastDays(5);
    for (const b of bars) last.add(b);
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-demo-days-'));
    const file = join(dir, 'replay.csv');
    writeFileSync(file, replayCsv(last.bars()));
    const back = await barsOf(file);
    expect(back.rejects).to.equal(0);
    expect(back.bars).to.deep.equal(last.bars());
    expect(back.bars).to.have.length(25);
    expect([...new Set(back.bars.map((b) => formatDay(b.date)))]).to.deep.equal(['2024-06-24', '2024-06-25', '2024-06-26', '2024-06-27', '2024-06-28']);
    expect(replayCsv([{ symbol: 'X', date: { year: 2024, month: 1, day: 2 }, open: 1.5, high: 2, low: 1, close: 1.25, volume: 7, decimals: 3, exchange: 'A, "B"' }])).to.equal(
      'Symbol,Date,Open,High,Low,Close,Volume,Exchange,Currency\nX,2024-01-02,1.500,2.000,1.000,1.250,7,"A, ""B""",\n',
    );
  });

  it("simulates each replayed day inside its own session, and the day's ticks give back its daily bar exactly", async () => {
    const { bars } = await barsOf('data/sample-daily.csv');
    for (const days of [1, 5, 20]) {
      const last = new LastDays(days);
      for (const b of bars) last.add(b);
      const replayed = last.bars();
      for (const ticksPerBar of [4, 390, 2340]) {
        const ticks: SimTick[] = [];
        for (const day of new Set(replayed.map((b) => formatDay(b.date)))) {
          const group = replayed.filter((b) => formatDay(b.date) === day);
          const sessions = group.map((b) => barTicks({ bar: b, line: 0, ...(b.exchange ? { exchange: b.exchange } : {}) }, { ticksPerBar, seed: 1, defaultSession: NY }));
          for (const [i, s] of sessions.entries()) {
            const b = group[i]!;
            const { start, end } = sessionBounds(b.date, sessionForExchange(b.exchange, NY));
            expect(s[0]!.ts, `${b.symbol} ${day} opens at the session's open`).to.equal(start);
            expect(s[s.length - 1]!.ts, `${b.symbol} ${day} closes at the session's close`).to.equal(end);
            expect(s[0]!.price).to.equal(b.open);
            expect(s[s.length - 1]!.price).to.equal(b.close);
            expect(Math.max(...s.map((t) => t.price))).to.equal(b.high);
            expect(Math.min(...s.map((t) => t.price))).to.equal(b.low);
            expect(s.reduce((n, t) => n + t.volume, 0)).to.equal(b.volume);
          }
          ticks.push(...mergeByTime(sessions));
        }
        // What the lake's daily bars will be, and what the file says.
        const comparison = compareDaily(dailyOf(replayed), dailyFromTicks(ticks));
        expect(comparison.differences, `${days} days, ${ticksPerBar} ticks per bar`).to.deep.equal([]);
        expect(comparison.matched).to.equal(replayed.length);
        // In time order across days: the producer sends them as they come.
        expect(ticks.every((t, k) => k === 0 || t.ts >= ticks[k - 1]!.ts)).to.equal(true);
      }
    }
  });

  it('names every difference between the lake and the file: missing, extra and changed bars', () => {
    const a: DailyBar = { symbol: 'A', day: '2024-06-28', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 };
    const b: DailyBar = { ...a, symbol: 'B' };
    expect(compareDaily([a, b], [a, b])).to.deep.equal({ matched: 2, expected: 2, differences: [] });
    const result = compareDaily([a, b], [{ ...a, close: 1.4, volume: 9 }, { ...a, day: '2024-06-27' }]);
    expect(result.matched).to.equal(0);
    expect(result.differences).to.deep.equal([
      'A 2024-06-28: close 1.4 in the lake, 1.5 in the file, volume 9 in the lake, 10 in the file',
      'B 2024-06-28: not in the lake',
      'A 2024-06-27: in the lake, not among the replayed days',
    ]);
  });

  it('paces a trading day of every symbol into the seconds asked', () => {
    expect(replayRate(5, 2340, 6)).to.equal(1950);
    expect(replayRate(1, 4, 100)).to.equal(1);
    expect(() => replayRate(5, 2340, 0)).to.throw(/seconds per day must be > 0/);
  });
});
