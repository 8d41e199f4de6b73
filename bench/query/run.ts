/**
 * bench/query: the time of each named query on DuckDB over a lake of 10M ticks.
 *
 *   npx tsx bench/query/run.ts [--runs 5] [--regenerate]
 *
 * The lake is generated once into bench/query/.lake (gitignored; see generate.ts) and
 * reused while its manifest matches. Each case runs once to warm the OS page cache and
 * DuckDB, then `--runs` times; the median, min and max are reported. Two reference scans
 * give the scale: reading every tick (count and notional) and every bar, so a query's time
 * reads as "so many full scans". Prints a Markdown table; writes .lake/last-run.json.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { crawlLocal, saveCatalog } from '../../analytics/catalog/local.js';
import { bindParams } from '../../analytics/params.js';
import { findQuery } from '../../analytics/query-catalog.js';
import { DuckDbRunner } from '../../analytics/runners/duckdb.js';
import { GENERATOR_VERSION, SHAPE, generateLake } from './generate.js';

const LAKE = join(dirname(fileURLToPath(import.meta.url)), '.lake');
const MANIFEST = join(LAKE, 'manifest.json');

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;

interface Case {
  readonly label: string;
  readonly query: string;
  readonly params: Record<string, string>;
}

const CASES: Case[] = [
  { label: 'ohlcv 5m, 1 symbol, 1 month', query: 'ohlcv', params: { symbol: 'S007', interval: '5m', from: '2024-03-01', to: '2024-03-31' } },
  { label: 'ohlcv 1h, all symbols, all days', query: 'ohlcv', params: { interval: '1h' } },
  { label: 'ohlcv 1d, all symbols, all days', query: 'ohlcv', params: { interval: '1d' } },
  { label: 'vwap, all symbols, all days', query: 'vwap', params: {} },
  { label: 'vwap, 1 symbol, all days', query: 'vwap', params: { symbol: 'S007' } },
  { label: 'returns_volatility (20d), all symbols', query: 'returns_volatility', params: {} },
  { label: 'top_movers (10), all days', query: 'top_movers', params: {} },
  { label: 'max_drawdown, all symbols', query: 'max_drawdown', params: {} },
  { label: 'ma_crossovers 10/50, all symbols', query: 'ma_crossovers', params: { short: '10', long: '50' } },
  { label: 'volume_spikes (20d, z>=3), all symbols', query: 'volume_spikes', params: { window: '20', threshold: '3' } },
  { label: 'data_quality, all symbols, all days', query: 'data_quality', params: {} },
  { label: 'data_quality, 1 symbol, 1 month', query: 'data_quality', params: { symbol: 'S007', from: '2024-03-01', to: '2024-03-31' } },
];

function ensureLake(): { ticks: number; bars: number; tickFiles: number; barFiles: number; bytes: number; generatedInS?: number } {
  const wanted = { version: GENERATOR_VERSION, shape: SHAPE };
  if (existsSync(MANIFEST) && !args.includes('--regenerate')) {
    const m = JSON.parse(readFileSync(MANIFEST, 'utf8')) as typeof wanted & { written: ReturnType<typeof generateLake> };
    if (JSON.stringify({ version: m.version, shape: m.shape }) === JSON.stringify(wanted)) return m.written;
  }
  rmSync(LAKE, { recursive: true, force: true });
  const t0 = performance.now();
  const written = generateLake(LAKE, SHAPE, (i, day) => {
    if (i % 25 === 0) process.stderr.write(`generating ${day} (${i}/${SHAPE.days})\n`);
  });
  const generatedInS = (performance.now() - t0) / 1000;
  writeFileSync(MANIFEST, JSON.stringify({ ...wanted, written, generatedInS }, null, 2));
  return { ...written, generatedInS };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const lake = ensureLake();
  const loadBefore = loadavg();

  // The crawl (footers of every file), timed on its own, then saved so the runner opens fast.
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const c0 = performance.now();
  const catalog = await crawlLocal(LAKE, conn);
  const crawlMs = performance.now() - c0;
  saveCatalog(LAKE, catalog);
  const version = (await conn.runAndReadAll('SELECT version() AS v')).getRowObjectsJS()[0]!.v as string;
  conn.closeSync();
  instance.closeSync();

  const o0 = performance.now();
  const runner = await DuckDbRunner.open({ lake: LAKE });
  const openMs = performance.now() - o0;

  const results: Array<{ label: string; rows: number; medianMs: number; minMs: number; maxMs: number }> = [];
  const time = async (label: string, fn: () => Promise<number>): Promise<void> => {
    await fn(); // warm-up
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      rows = await fn();
      times.push(performance.now() - t);
    }
    results.push({ label, rows, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) });
    process.stderr.write(`${label}: ${median(times).toFixed(0)} ms\n`);
  };

  await time('reference: scan every tick (count, sum(price*volume))', async () => (await runner.sql('SELECT count(*) AS n, sum(price * volume) AS notional FROM ticks')).length);
  await time('reference: scan every bar (count, sum(close))', async () => (await runner.sql('SELECT count(*) AS n, sum(close) AS s FROM bars_1m')).length);
  for (const c of CASES) {
    const query = findQuery(c.query);
    const params = bindParams(c.query, query.params, c.params);
    await time(c.label, async () => (await runner.run(query, params)).rows.length);
  }
  await runner.close();

  const scan = results[0]!.medianMs;
  const facts = {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    duckdb: version,
    loadAverageBefore: loadBefore.map((l) => l.toFixed(2)).join(' '),
    loadAverageAfter: loadavg().map((l) => l.toFixed(2)).join(' '),
    runs,
  };
  const lines = [
    `lake: ${lake.ticks.toLocaleString('en')} ticks in ${lake.tickFiles} files, ${lake.bars.toLocaleString('en')} one-minute bars in ${lake.barFiles} files, ` +
      `${(lake.bytes / 2 ** 20).toFixed(1)} MiB of Parquet (${SHAPE.symbols} symbols x ${SHAPE.days} days x ${SHAPE.ticksPerDay} ticks)`,
    `crawl (footers of ${lake.tickFiles + lake.barFiles} files): ${crawlMs.toFixed(0)} ms; runner open (catalog load + views): ${openMs.toFixed(0)} ms`,
    `machine: ${facts.cpu}, ${facts.cores} cores, ${facts.memoryGiB} GiB; ${facts.node}; DuckDB ${facts.duckdb}; load average before ${facts.loadAverageBefore}, after ${facts.loadAverageAfter}`,
    '',
    `| case | rows | median ms | min ms | max ms | x full tick scan |`,
    `|---|---:|---:|---:|---:|---:|`,
    ...results.map((r) => `| ${r.label} | ${r.rows} | ${r.medianMs.toFixed(0)} | ${r.minMs.toFixed(0)} | ${r.maxMs.toFixed(0)} | ${(r.medianMs / scan).toFixed(2)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeFileSync(join(LAKE, 'last-run.json'), JSON.stringify({ facts, lake, crawlMs, openMs, results }, null, 2));
}

await main();
