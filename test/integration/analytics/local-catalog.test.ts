/**
 * The local catalog on a lake of generated index data written by the sink's Parquet writer: what it
 * discovers, what it persists, and how DuckDB sees the tables it registers.
 */
import { expect } from 'chai';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOG_FILE, crawlLocal, loadCatalog, saveCatalog } from '../../../analytics/catalog/local.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import { QueryCancelledError } from '../../../analytics/runners/runner.js';
import { BARS_1M, LAKE_TABLES, RAW_TICKS, hiveType, partitionPrefix, partitionValue } from '../../../lib/lake.js';
import { encodeParquet } from '../../../consumer/format/parquet.js';
import { buildIndexLake, ticksFromDailyBars, type IndexLake } from '../../support/lake-fixture.js';

describe('local catalog over a lake of generated index data', function () {
  this.timeout(60_000);
  let lake: IndexLake;
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;

  before(async () => {
    lake = buildIndexLake({ from: '2020-01-01', to: '2020-03-31' });
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  after(() => {
    conn?.closeSync();
    instance?.closeSync();
  });

  it('discovers both tables, every dt partition and the schema the contract declares', async () => {
    const catalog = await crawlLocal(lake.root, conn);
    expect(catalog.tables.map((t) => [t.name, t.location])).to.deep.equal([
      ['bars_1m', 'processed/bars_1m'],
      ['ticks', 'raw/ticks'],
    ]);
    for (const table of LAKE_TABLES) {
      const found = catalog.tables.find((t) => t.name === table.name)!;
      expect(found.columns, table.name).to.deep.equal(table.columns.map((c) => ({ name: c.name, type: hiveType(c.type) })));
      expect(found.partitionKeys).to.deep.equal([{ name: 'dt', type: 'string' }]);
      expect(found.schemaConflicts).to.deep.equal([]);
      expect(found.uniformSchema).to.equal(true);
    }
    const ticks = catalog.tables.find((t) => t.name === 'ticks')!;
    const days = [...new Set(lake.ticks.map((t) => partitionValue('day', t.ts)))].sort();
    expect(ticks.partitions.map((p) => p.values[0])).to.deep.equal(days);
    expect(ticks.partitions.reduce((s, p) => s + p.files!, 0)).to.equal(lake.ticksFiles.files);
    expect(ticks.partitions.reduce((s, p) => s + p.bytes!, 0)).to.equal(lake.ticksFiles.bytes);
    expect(ticks.partitions[0]!.location).to.equal(partitionPrefix(RAW_TICKS, days[0]!));
  });

  it('persists the catalog as <lake>/_catalog.json and reads it back, wherever the lake is mounted', async () => {
    const catalog = await crawlLocal(lake.root, conn, new Date('2021-01-04T00:00:00Z'));
    const path = saveCatalog(lake.root, catalog);
    expect(path).to.equal(join(lake.root, CATALOG_FILE));
    const back = loadCatalog(lake.root)!;
    expect(back).to.deep.equal(catalog);
    expect(loadCatalog(join(lake.root, 'raw'))).to.equal(null);
  });

  it('registers views with the names and types Athena uses: timestamps without zone, dt as a string', async () => {
    const runner = await DuckDbRunner.open({ lake: lake.root });
    try {
      const cols = await runner.sql(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'ticks' ORDER BY ordinal_position`);
      expect(cols.map((c) => [c.column_name, c.data_type])).to.deep.equal([
        ...RAW_TICKS.columns.map((c) => [c.name, { string: 'VARCHAR', timestamp_ms: 'TIMESTAMP', double: 'DOUBLE', int64: 'BIGINT', int32: 'INTEGER' }[c.type]]),
        ['dt', 'VARCHAR'],
      ]);
      // Times come back as the UTC instants that were written, whatever the machine's zone.
      const first = lake.ticks.reduce((a, b) => (a.ts < b.ts ? a : b));
      const bars = await runner.sql(`SELECT min(dt) AS dt, count(*) AS n FROM bars_1m`);
      expect(bars[0]).to.deep.equal({ dt: partitionValue('day', first.ts), n: lake.bars.length });
      const minTs = await runner.sql(`SELECT min(ts) AS ts FROM ticks`);
      expect(minTs[0]!.ts).to.equal(new Date(first.ts).toISOString());
    } finally {
      await runner.close();
    }
  });

  it('sees a partition the sink adds after the crawl, without a new crawl (like partition projection)', async () => {
    const runner = await DuckDbRunner.open({ lake: lake.root });
    try {
      const before = (await runner.sql(`SELECT count(*) AS n FROM ticks`))[0]!.n as number;
      const day = ticksFromDailyBars([{ symbol: 'NEW', date: '2020-04-01', open: 10, high: 12, low: 9, close: 11, volume: 400 }]);
      const dir = join(lake.root, partitionPrefix(RAW_TICKS, '2020-04-01'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'ticks+0+0.parquet'), encodeParquet(RAW_TICKS, day as never));
      const afterRows = await runner.sql(`SELECT count(*) AS n, max(dt) AS last FROM ticks`);
      expect(afterRows[0]).to.deep.equal({ n: before + day.length, last: '2020-04-01' });
    } finally {
      await runner.close();
    }
  });

  it('flags a file whose column types disagree with the others, and skips _ and . files', async () => {
    const odd = buildIndexLake({ from: '2020-01-02', to: '2020-01-03', symbols: ['NYA'], bars: false });
    // bars_1m rows written with the ticks layout under the bars folder: a schema that disagrees.
    const dir = join(odd.root, partitionPrefix(BARS_1M, '2020-01-02'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.parquet'), encodeParquet(BARS_1M, [{ symbol: 'NYA', bar_start: Date.UTC(2020, 0, 2, 14, 30), open: 1, high: 1, low: 1, close: 1, volume: 1, trades: 1, vwap: 1 }]));
    const wrongTypes = { ...BARS_1M, columns: BARS_1M.columns.map((c) => (c.name === 'volume' ? { ...c, type: 'double' as const } : c)) };
    writeFileSync(join(dir, 'b.parquet'), encodeParquet(wrongTypes, [{ symbol: 'NYA', bar_start: Date.UTC(2020, 0, 2, 14, 31), open: 1, high: 1, low: 1, close: 1, volume: 1.5, trades: 1, vwap: 1 }]));
    writeFileSync(join(dir, '_SUCCESS.parquet'), 'not parquet');
    writeFileSync(join(dir, '.part-0.parquet'), 'not parquet');
    const catalog = await crawlLocal(odd.root, conn);
    const bars = catalog.tables.find((t) => t.name === 'bars_1m')!;
    expect(bars.partitions[0]!.files).to.equal(2);
    expect(bars.schemaConflicts).to.deep.equal([`${partitionPrefix(BARS_1M, '2020-01-02')}/b.parquet: column volume is double, the table has bigint`]);
    expect(bars.uniformSchema).to.equal(false);
    expect(existsSync(join(odd.root, CATALOG_FILE))).to.equal(false);
  });

  it('a query on a table the lake lacks says which table and what to do', async () => {
    const ticksOnly = buildIndexLake({ from: '2020-01-02', to: '2020-01-03', symbols: ['NYA'], bars: false });
    const runner = await DuckDbRunner.open({ lake: ticksOnly.root });
    try {
      const err = await runner.run({ name: 'top_movers', sql: 'SELECT * FROM bars_1m' }, []).then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as Error).message).to.match(/query top_movers reads table bars_1m, which the lake at .* does not have \(tables: ticks\)/);
    } finally {
      await runner.close();
    }
  });

  it('an aborted signal interrupts a running DuckDB query', async () => {
    const runner = await DuckDbRunner.open({ lake: lake.root });
    try {
      const controller = new AbortController();
      // Hours of work if not interrupted (the test's timeout would fail it).
      const running = runner.run({ name: 'slow', sql: 'SELECT count(*) AS n FROM range(100000000) a, range(1000) b WHERE a.range % 7 = b.range' }, [], { signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      const err = await running.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(QueryCancelledError);
    } finally {
      await runner.close();
    }
  });
});
