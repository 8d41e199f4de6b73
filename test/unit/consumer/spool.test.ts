/**
 * The spool (consumer/spool.ts): an open batch written to disk chunk by chunk holds the same
 * rows as the batch encoded whole in memory, its partial bars merge (barsMergeSql, DuckDB) to
 * the bars of all its ticks, the same input gives the same bytes, and dropped or finished
 * batches leave nothing behind. Real files, real Parquet, real DuckDB.
 */
import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTick } from '../../../lib/tick.js';
import { barsMergeSql } from '../../../consumer/bars.js';
import { encodeBatch, type BatchFile } from '../../../consumer/batch-files.js';
import { PartitionWriter, type ClosedBatch, type TickChunk } from '../../../consumer/partition-writer.js';
import { Spooler, spoolRoot } from '../../../consumer/spool.js';
import { referenceBars, type RefTick } from './reference-bars.js';
import { duckdbRows as query } from '../../support/duckdb.js';

const T0 = Date.UTC(2024, 0, 2, 23, 57);

/** Ticks of 5 symbols over two days, with ties and out-of-order times; offset % 97 == 50 is poison. */
function ticksOf(n: number): Array<{ offset: number; tick: { symbol: string; ts: number; price: number; volume: number } | null }> {
  return Array.from({ length: n }, (_, o) => ({
    offset: o,
    tick: o % 97 === 50 ? null : { symbol: `S${(o * 7) % 5}`, ts: T0 + Math.floor(o / 3) * 1000 - (o % 11 === 0 ? 90_000 : 0), price: 100 + ((o * 13) % 17), volume: 1 + (o % 4) },
  }));
}

/** One batch of all the input (a writer that never rotates), with its chunks. */
function oneBatch(n: number, spillRows: number): { chunks: TickChunk[]; batch: ClosedBatch; ref: RefTick[] } {
  const w = new PartitionWriter('ticks', 2, { maxRecords: 1e9, maxBytes: 1e12, eventSpanMs: 0, flushIntervalMs: 0 }, spillRows);
  const chunks: TickChunk[] = [];
  const ref: RefTick[] = [];
  for (const { offset, tick } of ticksOf(n)) {
    const check = tick ? checkTick(tick) : checkTick({ symbol: 'X' });
    expect(w.add({ offset, timestamp: T0, key: null, value: Buffer.from('v') }, check, 0)).to.deep.equal([]);
    chunks.push(...w.takeChunks());
    if (tick) ref.push({ ...tick, partition: 2, offset });
  }
  return { chunks, batch: w.closeOpen()!, ref };
}


describe('spool', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tickstream-spool-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function spooled(n: number, spillRows: number): Promise<{ spooler: Spooler; files: BatchFile[]; batch: ClosedBatch; ref: RefTick[] }> {
    const spooler = await Spooler.open(join(root, 'spool'), { bars: true, partitioning: 'day' });
    const { chunks, batch, ref } = oneBatch(n, spillRows);
    for (const c of chunks) spooler.append(c);
    const files = await spooler.finish(batch);
    return { spooler, files, batch, ref };
  }

  it('writes a batch chunk by chunk into files holding the rows an in-memory encoding holds, with bars that merge to the bars of all its ticks', async () => {
    const { spooler, files, batch, ref } = await spooled(5000, 700);
    expect(batch.chunks).to.equal(7);
    const whole = encodeBatch(oneBatch(5000, Infinity).batch, { bars: true, partitioning: 'day' });
    expect(files.map((f) => [f.key, f.table, f.dt])).to.deep.equal(whole.map((f) => [f.key, f.table, f.dt]));
    expect(new Set(files.map((f) => f.dt)).size, 'the input spans two days').to.equal(2);
    expect(files.filter((f) => f.table === 'ticks').map((f) => [f.key, f.rows])).to.deep.equal(whole.filter((f) => f.table === 'ticks').map((f) => [f.key, f.rows]));
    const inMemory = join(root, 'whole');
    mkdirSync(inMemory);
    for (const f of whole) writeFileSync(join(inMemory, `${f.table}-${f.dt}.parquet`), f.body!);
    const rawCols = 'symbol, epoch_ms(ts) AS ts, price, volume, kafka_partition, kafka_offset';
    const spooledRaw = `read_parquet([${files.filter((f) => f.table === 'ticks').map((f) => `'${f.path}'`).join(', ')}])`;
    const sql = (src: string) => `SELECT ${rawCols} FROM ${src} ORDER BY kafka_offset`;
    const a = await query(sql(spooledRaw));
    expect(a).to.have.length(ref.length);
    expect(a).to.deep.equal(await query(sql(`read_parquet('${inMemory}/ticks-*.parquet')`)));
    const bars = await query(
      `SELECT symbol, epoch_ms(bar_start) AS bar_start, open, high, low, close, volume, trades, round(vwap, 9) AS vwap FROM (${barsMergeSql(
        `read_parquet([${files.filter((f) => f.table === 'bars_1m').map((f) => `'${f.path}'`).join(', ')}])`,
      )}) ORDER BY symbol, bar_start`,
    );
    const expected = referenceBars(ref)
      .map((b) => ({ ...b, vwap: b.vwap === null ? null : Math.round(b.vwap * 1e9) / 1e9 }))
      .sort((x, y) => (x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.bar_start - y.bar_start));
    expect(bars.map((b) => ({ ...b, bar_start: Number(b.bar_start), volume: Number(b.volume), trades: Number(b.trades) }))).to.deep.equal(expected);
    await spooler.drop(batch);
    expect(readdirSync(spooler.dir)).to.deep.equal([]);
    await spooler.close();
  });

  it('gives the same bytes for the same batch, so a replayed batch rewrites the same objects', async () => {
    const one = await spooled(3000, 500);
    const bytes = one.files.map((f) => readFileSync(f.path!));
    const two = await spooled(3000, 500);
    expect(two.files.map((f) => readFileSync(f.path!))).to.deep.equal(bytes);
    await one.spooler.close();
    await two.spooler.close();
  });

  it('counts the chunks waiting to be written as memory, and drops an unfinished batch with its files', async () => {
    const spooler = await Spooler.open(join(root, 'spool'), { bars: false, partitioning: 'day' });
    const { chunks, batch } = oneBatch(2000, 300);
    for (const c of chunks) spooler.append(c);
    expect(spooler.queuedBytes(2)).to.be.greaterThan(0);
    expect(spooler.queuedBytes(3)).to.equal(0);
    await spooler.drop(batch);
    expect(spooler.queuedBytes(2)).to.equal(0);
    expect(readdirSync(spooler.dir)).to.deep.equal([]);
    await spooler.close();
    expect(readdirSync(join(root, 'spool'))).to.deep.equal([]);
  });

  it("removes the folders of processes that no longer run, keeps live ones', and names the setting when it cannot write", async () => {
    const base = join(root, 'spool');
    mkdirSync(join(base, '999999999'), { recursive: true }); // no such process
    mkdirSync(join(base, '1'), { recursive: true }); // init: runs
    mkdirSync(join(base, 'notes'), { recursive: true }); // not a spool folder
    const spooler = await Spooler.open(base, { bars: false });
    expect(readdirSync(base).sort()).to.deep.equal(['1', String(process.pid), 'notes'].sort());
    await spooler.close();
    if (process.getuid?.() !== 0) {
      const locked = join(root, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      let error: Error | null = null;
      await Spooler.open(join(locked, 'spool'), { bars: false }).catch((err: Error) => (error = err));
      expect(String(error)).to.match(/TICKSTREAM_SINK_SPOOL_DIR: cannot make the spool folder/);
    } else {
      writeFileSync(join(root, 'file'), 'x');
      let error: Error | null = null;
      await Spooler.open(join(root, 'file', 'spool'), { bars: false }).catch((err: Error) => (error = err));
      expect(String(error)).to.match(/TICKSTREAM_SINK_SPOOL_DIR: cannot make the spool folder/);
    }
  });

  it('fails the batch and records the failure (the sink stops on it) when a file cannot be written', async () => {
    const spooler = await Spooler.open(join(root, 'spool'), { bars: true });
    const { chunks, batch } = oneBatch(1000, 300);
    rmSync(spooler.dir, { recursive: true }); // as a full or vanished disk would
    for (const c of chunks) spooler.append(c);
    let error: Error | null = null;
    await spooler.finish(batch).catch((err: Error) => (error = err));
    expect(String(error)).to.match(/spool write failed in .*ENOENT/);
    expect(spooler.failure).to.equal(error);
    expect(spooler.queuedBytes(2)).to.equal(0);
    await spooler.close();
  });

  it('lies inside a folder lake (a put is a rename), in the temp folder for S3, or where the setting says', () => {
    expect(spoolRoot('/data/lake', undefined)).to.equal('/data/lake/_sink/spool');
    expect(spoolRoot('s3://bucket/lake', undefined)).to.equal(join(tmpdir(), 'tickstream-spool'));
    expect(spoolRoot('s3://bucket/lake', '/var/lib/tickstream/spool')).to.equal('/var/lib/tickstream/spool');
  });
});
