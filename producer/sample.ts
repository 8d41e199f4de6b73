/**
 * The project's sample data set, `data/sample-daily.csv`: six months of weekday daily bars
 * for five invented symbols (nothing here is real market data), generated from a seed so
 * the same file comes out every time. Sorted by date, then symbol, so that a replay with
 * the live clock has every symbol trading at once. The demo streams it without any
 * download; `tickstream sample` (or `node --import tsx producer/sample.ts`) rewrites it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { seeded, type Random } from './sim/random.js';

export const SAMPLE_FILE = 'data/sample-daily.csv';
export const SAMPLE_SEED = 20240102;

interface SampleSymbol {
  readonly symbol: string;
  readonly exchange: string;
  readonly price: number;
  readonly volatility: number;
  readonly volume: number;
}

const SYMBOLS: readonly SampleSymbol[] = [
  { symbol: 'ACME', exchange: 'NYSE', price: 84.2, volatility: 0.25, volume: 3_200_000 },
  { symbol: 'GLOBX', exchange: 'NASDAQ', price: 312.5, volatility: 0.35, volume: 1_400_000 },
  { symbol: 'INITK', exchange: 'NASDAQ', price: 27.9, volatility: 0.5, volume: 8_900_000 },
  { symbol: 'UMBRL', exchange: 'NYSE', price: 151.3, volatility: 0.3, volume: 2_100_000 },
  { symbol: 'WAYNE', exchange: 'NYSE', price: 58.75, volatility: 0.2, volume: 4_600_000 },
];

const FIRST_DAY = Date.UTC(2024, 0, 2);
const LAST_DAY = Date.UTC(2024, 5, 28);
const STEPS = 26;

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** One day of a symbol: a random walk of STEPS steps gives open, high, low, close. */
function bar(rng: Random, previousClose: number, s: SampleSymbol): { o: number; h: number; l: number; c: number; v: number } {
  const daily = s.volatility / Math.sqrt(252);
  let price = previousClose * Math.exp(daily * 0.3 * rng.normal());
  const o = round2(price);
  let h = o;
  let l = o;
  for (let i = 0; i < STEPS; i++) {
    price *= Math.exp((daily / Math.sqrt(STEPS)) * rng.normal());
    const r = round2(price);
    if (r > h) h = r;
    if (r < l) l = r;
  }
  const c = round2(price);
  const v = Math.round(s.volume * Math.exp(0.35 * rng.normal()));
  return { o, h: Math.max(h, c), l: Math.min(l, c), c, v };
}

export function sampleCsv(seed: number = SAMPLE_SEED): { text: string; rows: number } {
  const state = SYMBOLS.map((s) => ({ s, rng: seeded(seed, 'sample', s.symbol), close: s.price }));
  const lines = ['Symbol,Date,Open,High,Low,Close,Volume,Exchange,Currency'];
  for (let day = FIRST_DAY; day <= LAST_DAY; day += 86_400_000) {
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const date = new Date(day).toISOString().slice(0, 10);
    for (const st of state) {
      const b = bar(st.rng, st.close, st.s);
      st.close = b.c;
      lines.push(`${st.s.symbol},${date},${b.o.toFixed(2)},${b.h.toFixed(2)},${b.l.toFixed(2)},${b.c.toFixed(2)},${b.v},${st.s.exchange},USD`);
    }
  }
  return { text: lines.join('\n') + '\n', rows: lines.length - 1 };
}

export function writeSample(file: string = SAMPLE_FILE, seed: number = SAMPLE_SEED): { rows: number; symbols: number; bytes: number } {
  const { text, rows } = sampleCsv(seed);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return { rows, symbols: SYMBOLS.length, bytes: Buffer.byteLength(text) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const stats = writeSample();
  process.stderr.write(`wrote ${SAMPLE_FILE}: ${stats.rows} bars of ${stats.symbols} symbols, ${stats.bytes} bytes\n`);
}
