/**
 * The simulators: bars to ticks that reproduce open, high, low, close and volume exactly,
 * times inside the session in strict order, sessions in their exchange's time zone, the
 * per-symbol order check and day groups, and the GBM simulator.
 */
import { expect } from 'chai';
import { bridgePrices, tickTimes } from '../../../producer/sim/bridge.js';
import { barTicks, mergeByTime, type PlacedBar } from '../../../producer/sim/daily.js';
import { DayGrouper } from '../../../producer/sim/days.js';
import { GbmSimulator, parseSymbols } from '../../../producer/sim/gbm.js';
import { seeded } from '../../../producer/sim/random.js';
import { parseSession, sessionBounds, sessionForExchange } from '../../../producer/sim/sessions.js';
import { splitVolume } from '../../../producer/sim/volume.js';
import type { Bar } from '../../../producer/sources/bars.js';

const NY = parseSession('09:30-16:00 America/New_York');

function randomBar(rng: ReturnType<typeof seeded>, i: number): Bar {
  const decimals = rng.int(0, 6);
  const f = 10 ** decimals;
  const round = (x: number): number => Math.max(1 / f, Math.round(x * f) / f);
  const a = round(1 + rng.next() * 20000);
  const b = round(a * (1 + (rng.next() - 0.5) * 0.1));
  const flat = i % 17 === 0;
  const low = flat ? a : Math.min(a, b);
  const high = flat ? a : Math.max(a, b);
  const pick = (): number => round(low + rng.next() * (high - low));
  const open = rng.next() < 0.2 ? high : pick();
  const close = rng.next() < 0.2 ? low : pick();
  return {
    symbol: `S${i % 7}`,
    date: { year: 1965 + (i % 60), month: 1 + (i % 12), day: 1 + (i % 28) },
    open: Math.min(high, Math.max(low, open)),
    high,
    low,
    close: Math.min(high, Math.max(low, close)),
    volume: i % 5 === 0 ? 0 : rng.int(0, 2 ** 31) * (i % 3 === 0 ? 7919 : 1),
    decimals,
  };
}

describe('producer: bars to ticks', function () {
  this.timeout(60_000);

  it('reproduces open, high, low, close and volume exactly, for many bars, tick counts and seeds', () => {
    const rng = seeded(42, 'bars');
    for (let i = 0; i < 3000; i++) {
      const bar = randomBar(rng, i);
      const n = [4, 5, 6, 10, 37, 390][i % 6]!;
      const ticks = barTicks({ bar, line: i + 2 }, { ticksPerBar: n, seed: i, defaultSession: NY });
      expect(ticks).to.have.length(n);
      const prices = ticks.map((t) => t.price);
      expect(prices[0], `open of bar ${i}`).to.equal(bar.open);
      expect(prices[n - 1], `close of bar ${i}`).to.equal(bar.close);
      expect(Math.max(...prices), `high of bar ${i}`).to.equal(bar.high);
      expect(Math.min(...prices), `low of bar ${i}`).to.equal(bar.low);
      expect(ticks.reduce((s, t) => s + t.volume, 0), `volume of bar ${i}`).to.equal(bar.volume);
      expect(ticks.every((t) => Number.isSafeInteger(t.volume) && t.volume >= 0 && t.price > 0 && t.line === i + 2)).to.equal(true);
      expect(ticks.every((t, k) => k === 0 || t.ts > ticks[k - 1]!.ts), `times of bar ${i}`).to.equal(true);
    }
  });

  it('keeps the precision of the bar (no float noise in the JSON)', () => {
    const bar: Bar = { symbol: 'A', date: { year: 2021, month: 6, day: 2 }, open: 10.5, high: 11.25, low: 10.05, close: 11, volume: 1000, decimals: 2 };
    const ticks = barTicks({ bar, line: 2 }, { ticksPerBar: 200, seed: 1, defaultSession: NY });
    expect(ticks.every((t) => /^\d+(\.\d{1,2})?$/.test(String(t.price)))).to.equal(true);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const bar: Bar = { symbol: 'A', date: { year: 2021, month: 6, day: 2 }, open: 100, high: 110, low: 95, close: 105, volume: 123456, decimals: 2 };
    const a = barTicks({ bar, line: 2 }, { ticksPerBar: 50, seed: 7, defaultSession: NY });
    expect(barTicks({ bar, line: 2 }, { ticksPerBar: 50, seed: 7, defaultSession: NY })).to.deep.equal(a);
    expect(barTicks({ bar, line: 2 }, { ticksPerBar: 50, seed: 8, defaultSession: NY })).to.not.deep.equal(a);
  });

  it('refuses fewer than four ticks per bar and sessions too short for the ticks', () => {
    expect(() => bridgePrices({ open: 1, high: 2, low: 1, close: 2, decimals: 0 }, 3, seeded(1))).to.throw(/>= 4/);
    expect(() => tickTimes(0, 5, 10, seeded(1))).to.throw(/cannot hold 10 ticks/);
    expect(tickTimes(0, 9, 10, seeded(1))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('producer: volume split', () => {
  it('adds up exactly, for zero, small, huge volumes and one tick', () => {
    for (const [total, n] of [[0, 10], [3, 10], [1, 1], [13524100000, 390], [Number.MAX_SAFE_INTEGER, 7], [999, 1000]] as const) {
      const parts = splitVolume(total, n, seeded(3, String(total)));
      expect(parts).to.have.length(n);
      expect(parts.every((p) => Number.isSafeInteger(p) && p >= 0)).to.equal(true);
      expect(parts.reduce((s, p) => s + p, 0)).to.equal(total);
    }
    expect(() => splitVolume(1.5, 3, seeded(1))).to.throw(/integer/);
  });
});

describe('producer: sessions', () => {
  it('places sessions in the exchange time zone, with daylight saving of that date', () => {
    expect(new Date(sessionBounds({ year: 2021, month: 1, day: 4 }, NY).start).toISOString()).to.equal('2021-01-04T14:30:00.000Z');
    expect(new Date(sessionBounds({ year: 2021, month: 6, day: 1 }, NY).end).toISOString()).to.equal('2021-06-01T20:00:00.000Z');
    const hk = sessionForExchange('Hong Kong Stock Exchange', NY);
    expect(new Date(sessionBounds({ year: 1987, month: 1, day: 2 }, hk).start).toISOString()).to.equal('1987-01-02T01:30:00.000Z');
    expect(new Date(sessionBounds({ year: 1965, month: 12, day: 31 }, NY).start).toISOString()).to.equal('1965-12-31T14:30:00.000Z');
    expect(sessionForExchange('XTSE', NY).timeZone).to.equal('America/Toronto');
    expect(sessionForExchange('Some Unknown Exchange', NY)).to.equal(NY);
  });

  it('parses the default session and names what is wrong', () => {
    expect(parseSession('08:00-16:30 Europe/London')).to.deep.equal({ openMinute: 480, closeMinute: 990, timeZone: 'Europe/London' });
    expect(() => parseSession('16:00-09:30 UTC')).to.throw(/open must be before the close/);
    expect(() => parseSession('09:30-16:00 Mars/Olympus')).to.throw(/unknown time zone/);
    expect(() => parseSession('9.30-16')).to.throw(/HH:MM-HH:MM/);
  });
});

describe('producer: per-symbol order and day groups', () => {
  const placed = (symbol: string, day: number, line: number): PlacedBar => ({
    bar: { symbol, date: { year: 2024, month: 1, day }, open: 1, high: 1, low: 1, close: 1, volume: 0, decimals: 0 },
    line,
  });

  it('groups consecutive bars of one date and rejects a bar not after its symbol’s previous one', () => {
    const g = new DayGrouper();
    expect(g.add(placed('A', 2, 2))).to.deep.equal([]);
    expect(g.add(placed('B', 2, 3))).to.deep.equal([]);
    const next = g.add(placed('A', 3, 4));
    expect(next).to.have.length(1);
    expect(next[0]!.kind === 'group' && next[0]!.bars.map((b) => b.line)).to.deep.equal([2, 3]);
    const dup = g.add(placed('A', 3, 5));
    expect(dup[0]).to.deep.include({ kind: 'reject' });
    expect(dup[0]!.kind === 'reject' && dup[0]!.reason).to.match(/date 2024-01-03 is not after the previous bar of A \(line 4\)/);
    const back = g.add(placed('B', 1, 6));
    expect(back[0]!.kind).to.equal('reject');
    expect(g.flush()).to.have.length(1);
    expect(g.flush()).to.deep.equal([]);
  });

  it('cuts a group at its size bound', () => {
    const g = new DayGrouper(2);
    g.add(placed('A', 2, 2));
    g.add(placed('B', 2, 3));
    expect(g.add(placed('C', 2, 4))).to.have.length(1);
  });

  it('merges the ticks of a day by time and keeps each symbol in order', () => {
    const opts = { ticksPerBar: 30, seed: 1, defaultSession: NY };
    const a = barTicks({ ...placed('A', 2, 2), bar: { ...placed('A', 2, 2).bar, high: 2, volume: 100 } }, opts);
    const b = barTicks({ ...placed('B', 2, 3), bar: { ...placed('B', 2, 3).bar, high: 3, volume: 100 } }, opts);
    const merged = mergeByTime([a, b]);
    expect(merged).to.have.length(60);
    for (let i = 1; i < merged.length; i++) expect(merged[i]!.ts).to.be.at.least(merged[i - 1]!.ts);
    expect(merged.filter((t) => t.symbol === 'A')).to.deep.equal(a);
  });
});

describe('producer: GBM simulator', () => {
  const options = { symbols: parseSymbols('AAA:190,BBB,CCC:0.5'), start: Date.UTC(2024, 0, 2, 14, 30), meanIntervalMs: 500, volatility: 0.8, drift: 0.05, seed: 3 };

  it('parses symbol lists and refuses bad ones', () => {
    expect(parseSymbols('AAA:190,BBB')).to.deep.equal([{ symbol: 'AAA', price: 190 }, { symbol: 'BBB', price: 100 }]);
    expect(() => parseSymbols('AAA:-1')).to.throw(/start price/);
    expect(() => parseSymbols('AAA,AAA')).to.throw(/repeat/);
  });

  it('gives positive prices, lots of 100, time order, and the same ticks for the same seed', () => {
    const ticks = new GbmSimulator(options).next(5000);
    expect(ticks.every((t) => t.price > 0 && t.volume > 0 && t.volume % 100 === 0)).to.equal(true);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.ts).to.be.at.least(ticks[i - 1]!.ts);
    expect(new Set(ticks.map((t) => t.symbol))).to.deep.equal(new Set(['AAA', 'BBB', 'CCC']));
    expect(ticks[0]).to.include({ symbol: 'AAA', ts: options.start, price: 190 });
    const again = new GbmSimulator(options);
    expect([...again.next(2000), ...again.next(3000)]).to.deep.equal(ticks);
    expect(new GbmSimulator({ ...options, seed: 4 }).next(5000)).to.not.deep.equal(ticks);
  });
});
