import { expect } from 'chai';
import { columnsByFile, contractDrift, discoverTables, hiveTypeOfParquet, mergeSchemas } from '../../../analytics/catalog/local.js';
import { viewSql } from '../../../analytics/catalog/duckdb-views.js';
import { describeCatalog } from '../../../analytics/catalog/model.js';
import { RAW_TICKS, hiveType } from '../../../lib/lake.js';

describe('local catalog (pure parts)', () => {
  it('finds tables and dt partitions from paths, and sets other files aside', () => {
    const { tables, ignored } = discoverTables([
      { path: 'raw/ticks/dt=2021-01-04/a.parquet', bytes: 10 },
      { path: 'raw/ticks/dt=2021-01-04/b.parquet', bytes: 5 },
      { path: 'raw/ticks/dt=2021-01-05/a.parquet', bytes: 7 },
      { path: 'processed/bars_1m/dt=2021-01-04/a.parquet', bytes: 3 },
      { path: 'raw/ticks/stray.parquet', bytes: 1 },
      { path: 'raw/ticks/dt=20210106/a.parquet', bytes: 1 },
    ]);
    expect(tables.map((t) => [t.name, t.location, t.partitions.map((p) => [p.values[0], p.files, p.bytes])])).to.deep.equal([
      ['bars_1m', 'processed/bars_1m', [['2021-01-04', 1, 3]]],
      ['ticks', 'raw/ticks', [['2021-01-04', 2, 15], ['2021-01-05', 1, 7]]],
    ]);
    expect(ignored).to.deep.equal(['raw/ticks/stray.parquet', 'raw/ticks/dt=20210106/a.parquet']);
    expect(() => discoverTables([{ path: 'a/ticks/dt=2021-01-04/x.parquet', bytes: 1 }, { path: 'b/ticks/dt=2021-01-04/x.parquet', bytes: 1 }])).to.throw(/both be table ticks/);
  });

  it('finds month and year partitions too, and names the partitioning of each table', () => {
    const { tables, ignored } = discoverTables([
      { path: 'raw/ticks/dt=2021/a.parquet', bytes: 10 },
      { path: 'raw/ticks/dt=1965/a.parquet', bytes: 4 },
      { path: 'processed/bars_1m/dt=2021-01/a.parquet', bytes: 3 },
      { path: 'processed/bars_1m/dt=2021-02-03/a.parquet', bytes: 3 },
      { path: 'raw/ticks/dt=2021-13/a.parquet', bytes: 1 },
    ]);
    expect(tables.map((t) => [t.name, t.partitions.map((p) => p.location)])).to.deep.equal([
      ['bars_1m', ['processed/bars_1m/dt=2021-01', 'processed/bars_1m/dt=2021-02-03']],
      ['ticks', ['raw/ticks/dt=1965', 'raw/ticks/dt=2021']],
    ]);
    expect(ignored).to.deep.equal(['raw/ticks/dt=2021-13/a.parquet']);
    const catalog = { source: 'local' as const, database: 'd', location: '/l', crawledAt: '', tables: tables.map((t) => ({ ...t, format: 'parquet', columns: [], partitionKeys: [] })) };
    expect(describeCatalog(catalog).map((r) => [r.table, r.partitioning, r.first_dt, r.last_dt])).to.deep.equal([
      ['bars_1m', 'day+month', '2021-01', '2021-02-03'],
      ['ticks', 'year', '1965', '2021'],
    ]);
  });

  it('maps Parquet footer types to the Hive types a Glue crawler records', () => {
    const f = (type: string | null, convertedType: string | null, logicalType: string | null) => hiveTypeOfParquet({ file: 'f', name: 'c', type, convertedType, logicalType });
    expect(f('BYTE_ARRAY', 'UTF8', 'StringType()')).to.equal('string');
    expect(f('INT64', 'TIMESTAMP_MILLIS', 'TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=MilliSeconds()))')).to.equal('timestamp');
    expect(f('INT64', null, null)).to.equal('bigint');
    expect(f('INT32', null, null)).to.equal('int');
    expect(f('DOUBLE', null, null)).to.equal('double');
    expect(f('BYTE_ARRAY', null, null)).to.equal('binary');
    expect(f('INT32', 'DATE', 'DateType()')).to.equal('date');
  });

  it('merges file schemas and reports a column whose type changed', () => {
    const byFile = columnsByFile([
      { file: 'a', name: 'schema', type: null, convertedType: null, logicalType: null },
      { file: 'a', name: 'price', type: 'DOUBLE', convertedType: null, logicalType: null },
      { file: 'b', name: 'price', type: 'INT64', convertedType: null, logicalType: null },
      { file: 'b', name: 'venue', type: 'BYTE_ARRAY', convertedType: 'UTF8', logicalType: null },
    ]);
    const merged = mergeSchemas(byFile);
    expect(merged.columns).to.deep.equal([{ name: 'price', type: 'double' }, { name: 'venue', type: 'string' }]);
    expect(merged.conflicts).to.deep.equal(['b: column price is bigint, the table has double']);
    expect(merged.uniform).to.equal(false);
  });

  it('compares a discovered table with the lake contract', () => {
    const exact = RAW_TICKS.columns.map((c) => ({ name: c.name, type: hiveType(c.type) }));
    expect(contractDrift({ name: 'ticks', columns: exact })).to.deep.equal([]);
    const drifted = exact.filter((c) => c.name !== 'kafka_ts').map((c) => (c.name === 'volume' ? { ...c, type: 'double' } : c));
    expect(contractDrift({ name: 'ticks', columns: drifted })).to.deep.equal(['ticks.volume is double, the contract says bigint', 'ticks.kafka_ts is missing']);
    expect(contractDrift({ name: 'other', columns: [] })).to.deep.equal([]);
  });

  it('registers a table as a view with Athena\'s types and a string dt, quoting what it splices', () => {
    const sql = viewSql("/data/it's lake", {
      name: 'ticks',
      location: 'raw/ticks',
      format: 'parquet',
      columns: [{ name: 'symbol', type: 'string' }, { name: 'ts', type: 'timestamp' }],
      partitionKeys: [{ name: 'dt', type: 'string' }],
      partitions: [],
      uniformSchema: true,
    });
    expect(sql).to.equal(
      `CREATE OR REPLACE VIEW "ticks" AS SELECT "symbol", make_timestamp(epoch_us("ts")) AS "ts", "dt" ` +
        `FROM read_parquet('/data/it''s lake/raw/ticks/dt=*/[!_]*.parquet', hive_partitioning = true, hive_types = {'dt': 'VARCHAR'})`,
    );
    // A compacted partition is read by the files its marker names, the others by the glob.
    const compacted = viewSql(
      '/lake',
      { name: 'ticks', location: 'raw/ticks', format: 'parquet', columns: [{ name: 'symbol', type: 'string' }], partitionKeys: [{ name: 'dt', type: 'string' }], partitions: [] },
      new Map([['2021-01-04', ['raw/ticks/dt=2021-01-04/compacted-20261205T070000000Z-00000.parquet']]]),
    );
    expect(compacted).to.equal(
      `CREATE OR REPLACE VIEW "ticks" AS SELECT "symbol", "dt" FROM read_parquet('/lake/raw/ticks/dt=*/[!_]*.parquet', hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}) ` +
        `WHERE "dt" NOT IN ('2021-01-04') UNION ALL SELECT "symbol", "dt" FROM read_parquet(['/lake/raw/ticks/dt=2021-01-04/compacted-20261205T070000000Z-00000.parquet'], hive_partitioning = true, hive_types = {'dt': 'VARCHAR'})`,
    );
    expect(() => viewSql('/data/lake[1]', { name: 't', location: 't', format: 'parquet', columns: [], partitionKeys: [], partitions: [] })).to.throw(/glob characters/);
  });
});
