/**
 * Registers a catalog's tables in DuckDB as views with the names and types Athena sees, so
 * that one SQL text runs on both engines:
 *
 *   CREATE OR REPLACE VIEW "ticks" AS
 *   SELECT "symbol", CAST("ts" AS TIMESTAMP) AS "ts", ..., "dt"
 *   FROM read_parquet('<lake>/raw/ticks/dt=*\/*.parquet', hive_partitioning = true, hive_types = {'dt': 'VARCHAR'})
 *
 *  - Timestamps: DuckDB reads TIMESTAMP(isAdjustedToUTC=true) as TIMESTAMP WITH TIME ZONE,
 *    whose arithmetic follows the session time zone; Athena reads a Glue `timestamp` as a
 *    plain timestamp in UTC. The view turns it into a plain TIMESTAMP holding the UTC wall
 *    time, so date_trunc, date_diff and day boundaries agree with Athena. It does so with
 *    make_timestamp(epoch_us(ts)), the same instant as integer arithmetic, independent of
 *    the session zone; CAST(ts AS TIMESTAMP) goes through the ICU calendar and costs about
 *    4 s per 10M rows and column (bench/query).
 *  - `dt` stays a string, as the Glue partition key is: DuckDB would otherwise guess DATE.
 *  - The view globs the partition folders instead of listing the crawled files, like
 *    Athena's partition projection: partitions the sink adds after a crawl are visible at
 *    once, and `dt` filters skip whole folders.
 *  - The glob skips files whose names start with `_` (a compaction's staged files), and
 *    compacted partitions (a `_compaction.json` marker, docs/compaction.md) are read by name
 *    instead: the files their marker makes current, as listed when the view is made (a
 *    runner per command or dashboard refresh). A partition compacted while a view is open
 *    keeps being read through the glob: its replaced files outlive the switch by the grace
 *    period, and only the promote step's copy-then-delete is a window in which it could
 *    see a compacted file beside the files it replaces (docs/compaction.md).
 *  - union_by_name only when the crawl saw files with different columns (it costs a read of
 *    every footer when the view is used).
 */
import type { Catalog, CatalogTable } from './model.js';

/** A SQL string literal. DDL cannot take bound parameters; this is where a path becomes text. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** How a column of a Hive type is exposed, when not as it is read. */
const DUCKDB_EXPRESSION: Record<string, (id: string) => string> = {
  timestamp: (id) => `make_timestamp(epoch_us(${id}))`,
};

/**
 * Compacted partitions of a table: `dt` value -> the files (lake-relative) a reader takes.
 * Empty for a lake without compaction.
 */
export type CompactedPartitions = ReadonlyMap<string, readonly string[]>;

/** The CREATE VIEW statement of one table of a local lake at `root`. Pure. */
export function viewSql(root: string, table: CatalogTable, compacted: CompactedPartitions = new Map()): string {
  if (/[*?[\]{}]/.test(root)) throw new Error(`lake path ${root} contains glob characters (* ? [ ] { }); move the lake`);
  const base = root.replace(/\/+$/, '');
  const glob = `${base}/${table.location}/dt=*/[!_]*.parquet`;
  const select = table.columns.map((c) => {
    const id = sqlIdentifier(c.name);
    const expression = DUCKDB_EXPRESSION[c.type];
    return expression ? `${expression(id)} AS ${id}` : id;
  });
  const keys = table.partitionKeys.map((k) => sqlIdentifier(k.name));
  const hiveTypes = table.partitionKeys.map((k) => `${sqlString(k.name)}: 'VARCHAR'`).join(', ');
  const options = [`hive_partitioning = true`, `hive_types = {${hiveTypes}}`, ...(table.uniformSchema === false ? ['union_by_name = true'] : [])];
  const columns = [...select, ...keys].join(', ');
  const globbed = `SELECT ${columns} FROM read_parquet(${sqlString(glob)}, ${options.join(', ')})`;
  if (compacted.size === 0) return `CREATE OR REPLACE VIEW ${sqlIdentifier(table.name)} AS ${globbed}`;
  const dts = [...compacted.keys()].sort();
  const files = dts.flatMap((dt) => compacted.get(dt)!.map((f) => sqlString(`${base}/${f}`)));
  const rest = `${globbed} WHERE "dt" NOT IN (${dts.map(sqlString).join(', ')})`;
  // A compacted partition always has at least one file; read_parquet of an empty list is an error.
  const named = files.length > 0 ? ` UNION ALL SELECT ${columns} FROM read_parquet([${files.join(', ')}], ${options.join(', ')})` : '';
  return `CREATE OR REPLACE VIEW ${sqlIdentifier(table.name)} AS ${rest}${named}`;
}

/** Every table of the catalog that has at least one partition (an empty glob is an error in DuckDB). */
export function viewStatements(root: string, catalog: Catalog, compacted: (table: CatalogTable) => CompactedPartitions = () => new Map()): string[] {
  return catalog.tables.filter((t) => t.partitions.length > 0).map((t) => viewSql(root, t, compacted(t)));
}
