/**
 * A lake built from market data in the Kaggle layout, for tests that need Parquet files in
 * the lake's exact layout and types: an `indexData.csv` (daily bars of five world indices;
 * the generated fixture of test/support/market-data.ts unless a test passes the real files
 * with `data`) turned into ticks, deterministically, and written with the sink's own writer
 * (`encodeParquet`) under `raw/ticks/dt=.../` and `processed/bars_1m/dt=.../`.
 *
 * Each daily bar becomes five ticks at fixed UTC times that honour the bar: the open at
 * 14:30, then the low and the high (low first on an up day, high first on a down day), the
 * mid-point of low and high at 20:59:30 and the close at 20:59:59, with the day's volume
 * split over them. So the first/max/min/last price of a day's ticks are the bar's
 * open/high/low/close, and their volumes sum to its volume. Rows whose fields are the
 * literal `null` are skipped, as a producer would reject them.
 *
 * Files: one raw file per day, and beside it (same name) the one-minute bars of that file,
 * as the sink writes them (consumer/bars.ts). With `partitioning` month or year, one file
 * per month or year under `dt=YYYY-MM` or `dt=YYYY` (lib/lake.ts). With `splitCloseMinute`, each day's close
 * ticks go to a second file, as when the sink rotates a batch inside the last minute: that
 * minute then has two partial bars with different closes (docs/sink.md), which a reader must
 * merge by `close_ts`.
 *
 * Lineage columns are filled as the sink would: a Kafka partition per symbol (a stable hash),
 * offsets in arrival order per partition, and `kafka_ts` (arrival) a little after `ts`.
 * Optional defects (duplicates, late arrivals, sink re-deliveries) make data-quality checks
 * testable; they are deterministic too.
 *
 * The returned rows are what was written, so a test computes its expected answers from them
 * in TypeScript, independently of any SQL.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BARS_1M, RAW_TICKS, partitionPrefix, partitionValue, type LakeTable, type Partitioning } from '../../lib/lake.js';
import { encodeParquet, type LakeRow } from '../../consumer/format/parquet.js';
import { generatedKaggle, type KaggleFiles } from './market-data.js';

export interface DailyBar {
  readonly symbol: string;
  /** Trading day, YYYY-MM-DD. */
  readonly date: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** One row of `raw/ticks`, timestamps in epoch milliseconds. */
export interface TickRow {
  readonly symbol: string;
  readonly ts: number;
  readonly price: number;
  readonly volume: number;
  readonly exchange: string | null;
  readonly currency: string | null;
  readonly source: string;
  readonly seq: number;
  readonly kafka_partition: number;
  readonly kafka_offset: number;
  readonly kafka_ts: number;
}

/** One row of `processed/bars_1m`: a bar, or the part of a bar one file saw (with its lineage). */
export interface BarRow {
  readonly symbol: string;
  readonly bar_start: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly trades: number;
  readonly vwap: number | null;
  readonly open_ts: number;
  readonly close_ts: number;
  readonly kafka_partition: number;
  readonly batch_offset: number;
}

/**
 * Reads indexData.csv with its defects: a doubly encoded byte-order mark before the header,
 * CRLF line ends, no final newline, empty rows and rows of literal `null`s (both skipped).
 */
export function readIndexBars(path = generatedKaggle().indexData): DailyBar[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const out: DailyBar[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [symbol, date, open, high, low, close, _adj, volume] = line.split(',');
    if (!symbol || !date || [open, high, low, close, volume].some((v) => v === undefined || v === 'null')) continue;
    out.push({ symbol, date, open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume) });
  }
  return out;
}

/** Exchange and currency of each index, from indexInfo.csv (header has a plain BOM). */
export function readIndexInfo(path = generatedKaggle().indexInfo): Map<string, { exchange: string; currency: string }> {
  const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  const out = new Map<string, { exchange: string; currency: string }>();
  for (const line of lines.slice(1)) {
    const [_region, exchange, index, currency] = line.split(',');
    if (index && exchange && currency) out.set(index, { exchange, currency });
  }
  return out;
}

/** Milliseconds after midnight UTC of the five ticks of a day. */
const TICK_TIMES_MS = [14 * 3600_000 + 30 * 60_000, 16 * 3600_000, 18 * 3600_000, 20 * 3600_000 + 59 * 60_000 + 30_000, 20 * 3600_000 + 59 * 60_000 + 59_000];
const CLOSE_TIME_MS = TICK_TIMES_MS[4]!;

export interface Defects {
  /** Every n-th tick (in event order) is sent twice by the producer: a second message, a later offset. */
  readonly duplicateEvery?: number;
  /** Every n-th tick arrives `lateByMs` after its event time instead of 250 ms. */
  readonly lateEvery?: number;
  readonly lateByMs?: number;
  /** Every n-th message is written twice by the sink (same partition and offset). */
  readonly redeliverEvery?: number;
}

export const KAFKA_PARTITIONS = 6;
const ARRIVAL_DELAY_MS = 250;

/** FNV-1a: a stable symbol -> partition mapping (what matters is that it is fixed). */
export function kafkaPartitionOf(symbol: string, partitions = KAFKA_PARTITIONS): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(symbol, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** The ticks of daily bars, with lineage and the requested defects. */
export function ticksFromDailyBars(bars: readonly DailyBar[], defects: Defects = {}, info = readIndexInfo()): TickRow[] {
  const sorted = [...bars].sort((a, b) => (a.symbol === b.symbol ? cmp(a.date, b.date) : cmp(a.symbol, b.symbol)));
  type Pending = Omit<TickRow, 'kafka_offset'>;
  const events: Pending[] = [];
  const seqOf = new Map<string, number>();
  for (const bar of sorted) {
    const midnight = Date.parse(`${bar.date}T00:00:00Z`);
    const up = bar.close >= bar.open;
    const prices = [bar.open, up ? bar.low : bar.high, up ? bar.high : bar.low, (bar.low + bar.high) / 2, bar.close];
    const q = Math.floor(bar.volume / 5);
    const volumes = [q, q, q, q, bar.volume - 4 * q];
    const meta = info.get(bar.symbol);
    for (let i = 0; i < prices.length; i++) {
      const seq = seqOf.get(bar.symbol) ?? 0;
      seqOf.set(bar.symbol, seq + 1);
      const ts = midnight + TICK_TIMES_MS[i]!;
      events.push({
        symbol: bar.symbol,
        ts,
        price: prices[i]!,
        volume: volumes[i]!,
        exchange: meta?.exchange ?? null,
        currency: meta?.currency ?? null,
        source: 'csv',
        seq,
        kafka_partition: kafkaPartitionOf(bar.symbol),
        kafka_ts: ts + ARRIVAL_DELAY_MS,
      });
    }
  }
  // Defects, by position in event order so that they are the same on every run.
  const messages: Pending[] = [];
  events.forEach((e, i) => {
    const late = defects.lateEvery && i % defects.lateEvery === defects.lateEvery - 1;
    const tick = late ? { ...e, kafka_ts: e.ts + (defects.lateByMs ?? 2 * 3600_000) } : e;
    messages.push(tick);
    if (defects.duplicateEvery && i % defects.duplicateEvery === defects.duplicateEvery - 1) {
      messages.push({ ...tick, kafka_ts: tick.kafka_ts + 1000 });
    }
  });
  // Offsets in arrival order within each partition, as a broker assigns them.
  messages.sort((a, b) => a.kafka_partition - b.kafka_partition || a.kafka_ts - b.kafka_ts || cmp(a.symbol, b.symbol) || a.seq - b.seq);
  const next = new Map<number, number>();
  const rows: TickRow[] = [];
  messages.forEach((m, i) => {
    const offset = next.get(m.kafka_partition) ?? 0;
    next.set(m.kafka_partition, offset + 1);
    const row = { ...m, kafka_offset: offset };
    rows.push(row);
    if (defects.redeliverEvery && i % defects.redeliverEvery === defects.redeliverEvery - 1) rows.push({ ...row });
  });
  return rows;
}

/**
 * One-minute OHLCV bars of the ticks of one file, as the sink derives `processed/bars_1m`
 * from each raw file (duplicates included as received), with the lineage columns that let
 * a reader merge the partial bars of a minute split over two files.
 */
export function minuteBars(ticks: readonly TickRow[]): BarRow[] {
  const groups = new Map<string, TickRow[]>();
  for (const t of ticks) {
    const key = `${t.symbol}\u0000${Math.floor(t.ts / 60_000)}`;
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  const firstOffset = new Map<number, number>();
  for (const t of ticks) firstOffset.set(t.kafka_partition, Math.min(firstOffset.get(t.kafka_partition) ?? Infinity, t.kafka_offset));
  const bars: BarRow[] = [];
  for (const g of groups.values()) {
    const byTime = [...g].sort((a, b) => a.ts - b.ts || a.kafka_partition - b.kafka_partition || a.kafka_offset - b.kafka_offset);
    const first = byTime[0]!;
    const last = byTime[byTime.length - 1]!;
    const volume = byTime.reduce((s, t) => s + t.volume, 0);
    const notional = byTime.reduce((s, t) => s + t.price * t.volume, 0);
    bars.push({
      symbol: first.symbol,
      bar_start: Math.floor(first.ts / 60_000) * 60_000,
      open: first.price,
      high: Math.max(...byTime.map((t) => t.price)),
      low: Math.min(...byTime.map((t) => t.price)),
      close: last.price,
      volume,
      trades: byTime.length,
      vwap: volume > 0 ? notional / volume : null,
      open_ts: first.ts,
      close_ts: last.ts,
      kafka_partition: first.kafka_partition,
      batch_offset: firstOffset.get(first.kafka_partition)!,
    });
  }
  return bars;
}

export interface LakeFiles {
  readonly files: number;
  readonly bytes: number;
}

/** The ticks of one raw file (and of the bars file beside it). */
interface FileGroup {
  /** The `dt` partition value. */
  readonly dt: string;
  readonly name: string;
  readonly ticks: TickRow[];
}

/** One file per partition; with `splitCloseMinute`, the close ticks of every day in a second one. */
function fileGroups(ticks: readonly TickRow[], splitCloseMinute: boolean, partitioning: Partitioning, filePerDay: boolean): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  for (const t of ticks) {
    const day = partitionValue('day', t.ts);
    const dt = partitionValue(partitioning, t.ts);
    const part = splitCloseMinute && t.ts - Date.parse(`${day}T00:00:00Z`) === CLOSE_TIME_MS ? 1 : 0;
    const key = `${filePerDay ? day : dt}/${part}`;
    let g = groups.get(key);
    if (!g) {
      g = { dt, name: `ticks+0+${String(groups.size).padStart(20, '0')}.parquet`, ticks: [] };
      groups.set(key, g);
    }
    g.ticks.push(t);
  }
  return [...groups.values()];
}

function writeFile(root: string, table: LakeTable, dt: string, name: string, rows: readonly LakeRow[]): number {
  const dir = join(root, partitionPrefix(table, dt));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, encodeParquet(table, rows));
  return statSync(file).size;
}

export interface IndexLakeOptions {
  /** First and last trading day to include (inclusive, YYYY-MM-DD). */
  readonly from?: string;
  readonly to?: string;
  readonly symbols?: readonly string[];
  readonly defects?: Defects;
  /** Folder to write into; a fresh temp folder (removed when the process exits) by default. */
  readonly root?: string;
  /** Also write processed/bars_1m (default true). */
  readonly bars?: boolean;
  /** Put each day's close ticks in a file of their own: partial bars in the last minute. */
  readonly splitCloseMinute?: boolean;
  /** The files to build from; the generated fixture by default. */
  readonly data?: KaggleFiles;
  /** Time partitioning of the lake (default day). */
  readonly partitioning?: Partitioning;
  /** A file per trading day even in a coarser partition: the small files a replay's sink leaves for compaction (default false). */
  readonly filePerDay?: boolean;
}

export interface IndexLake {
  readonly root: string;
  readonly daily: readonly DailyBar[];
  readonly ticks: readonly TickRow[];
  readonly bars: readonly BarRow[];
  readonly ticksFiles: LakeFiles;
  readonly barsFiles: LakeFiles;
}

/** Builds a lake of the index data (see the file comment). */
export function buildIndexLake(options: IndexLakeOptions = {}): IndexLake {
  const from = options.from ?? '0000-01-01';
  const to = options.to ?? '9999-12-31';
  const data = options.data ?? generatedKaggle();
  const daily = readIndexBars(data.indexData).filter(
    (b) => b.date >= from && b.date <= to && (!options.symbols || options.symbols.includes(b.symbol)),
  );
  const ticks = ticksFromDailyBars(daily, options.defects, readIndexInfo(data.indexInfo));
  const root = options.root ?? temporaryRoot();
  const bars: BarRow[] = [];
  const ticksFiles = { files: 0, bytes: 0 };
  const barsFiles = { files: 0, bytes: 0 };
  for (const g of fileGroups(ticks, options.splitCloseMinute ?? false, options.partitioning ?? 'day', options.filePerDay ?? false)) {
    ticksFiles.files++;
    ticksFiles.bytes += writeFile(root, RAW_TICKS, g.dt, g.name, g.ticks as unknown as LakeRow[]);
    if (options.bars === false) continue;
    const fileBars = minuteBars(g.ticks);
    bars.push(...fileBars);
    barsFiles.files++;
    barsFiles.bytes += writeFile(root, BARS_1M, g.dt, g.name, fileBars as unknown as LakeRow[]);
  }
  return { root, daily, ticks, bars, ticksFiles, barsFiles };
}

const memo = new Map<string, IndexLake>();

/**
 * The same lake for every test file of a run that asks with the same options: building it
 * takes seconds, and tests only read it.
 */
export function sharedIndexLake(options: Omit<IndexLakeOptions, 'root'> = {}): IndexLake {
  const key = JSON.stringify({ ...options, data: (options.data ?? generatedKaggle()).dir });
  let lake = memo.get(key);
  if (!lake) {
    lake = buildIndexLake(options);
    memo.set(key, lake);
  }
  return lake;
}

const temporaryRoots = new Set<string>();

function temporaryRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-lake-'));
  // One exit handler for all of them (a listener per lake would trip Node's leak warning).
  if (temporaryRoots.size === 0) process.once('exit', () => temporaryRoots.forEach((d) => rmSync(d, { recursive: true, force: true })));
  temporaryRoots.add(dir);
  return dir;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
