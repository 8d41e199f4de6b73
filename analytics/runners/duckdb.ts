/**
 * The DuckDB runner: the named queries over a lake folder, in process.
 *
 * One in-memory database per runner, its session in UTC, the lake's tables registered as
 * views from the local catalog (`<lake>/_catalog.json` when crawled, else a crawl now);
 * compacted partitions by the files their markers name (docs/compaction.md).
 * Each query is a prepared statement whose `?` are bound with typed values; Ctrl-C (the
 * run's AbortSignal) interrupts it.
 */
import { BIGINT, DOUBLE, DuckDBInstance, DuckDBTypeId, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { resolve } from 'node:path';
import type { BoundParam } from '../params.js';
import { compactedPartitions, crawlLocal, loadCatalog } from '../catalog/local.js';
import type { Catalog } from '../catalog/model.js';
import { viewStatements } from '../catalog/duckdb-views.js';
import { integerValue, QueryCancelledError, type Column, type QueryResult, type QueryRunner, type Row, type RunOptions, type Value } from './runner.js';
import type { NamedQuery } from '../query-catalog.js';

export interface DuckDbRunnerOptions {
  /** Lake folder (a local path; DuckDB does not read s3:// lakes here, use Athena). */
  readonly lake: string;
  /** Use this catalog instead of `<lake>/_catalog.json` or a fresh crawl. */
  readonly catalog?: Catalog;
  /** DuckDB worker threads (default: DuckDB's, one per core). */
  readonly threads?: number;
}

export class DuckDbRunner implements QueryRunner {
  readonly engine = 'duckdb' as const;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly catalog: Catalog,
  ) {}

  static async open(options: DuckDbRunnerOptions): Promise<DuckDbRunner> {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(options.lake)) {
      throw new Error(`the DuckDB engine reads a lake folder, not ${options.lake}; use --engine athena for a lake on S3`);
    }
    const root = resolve(options.lake);
    const instance = await DuckDBInstance.create(':memory:', options.threads ? { threads: String(options.threads) } : {});
    const conn = await instance.connect();
    try {
      // Athena's sessions are UTC: anything zoned a query computes (now(), a cast) must agree.
      await conn.run(`SET TimeZone = 'UTC'`);
      const catalog = options.catalog ?? loadCatalog(root) ?? (await crawlLocal(root, conn));
      for (const statement of viewStatements(root, catalog, (t) => compactedPartitions(root, t.location))) await conn.run(statement);
      return new DuckDbRunner(instance, conn, catalog);
    } catch (err) {
      conn.closeSync();
      instance.closeSync();
      throw err;
    }
  }

  async run(query: Pick<NamedQuery, 'name' | 'sql'>, params: readonly BoundParam[], options: RunOptions = {}): Promise<QueryResult> {
    const started = performance.now();
    const { signal } = options;
    if (signal?.aborted) throw new QueryCancelledError(query.name);
    const onAbort = (): void => this.conn.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const prepared = await this.conn.prepare(query.sql).catch((err: Error) => {
        throw this.explain(query.name, err);
      });
      let reader;
      try {
        prepared.bind(
          params.map((p) => p.value),
          params.map((p) => duckDbType(p)),
        );
        reader = await prepared.runAndReadAll().catch((err: Error) => {
          if (signal?.aborted) throw new QueryCancelledError(query.name);
          throw this.explain(query.name, err);
        });
      } finally {
        prepared.destroySync();
      }
      if (signal?.aborted) throw new QueryCancelledError(query.name);
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const columns: Column[] = names.map((name, i) => ({ name, type: types[i]!.toString().toLowerCase() }));
      const rows: Row[] = reader.getRows().map((values) => {
        const row: Row = {};
        values.forEach((v, i) => (row[names[i]!] = toValue(v, types[i]!)));
        return row;
      });
      return { columns, rows, stats: { engine: 'duckdb', elapsedMs: performance.now() - started } };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Runs SQL that is not a named query (the bench's reference scans, a test's checks). */
  async sql(text: string): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(text);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    return reader.getRows().map((values) => Object.fromEntries(values.map((v, i) => [names[i]!, toValue(v, types[i]!)])));
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  /** DuckDB's error, with the table that is missing from the lake named plainly. */
  private explain(name: string, err: Error): Error {
    const missing = /Table with name (\w+) does not exist/.exec(err.message)?.[1];
    if (missing) {
      const known = this.catalog.tables.filter((t) => t.partitions.length > 0).map((t) => t.name);
      return new Error(
        `query ${name} reads table ${missing}, which the lake at ${this.catalog.location} does not have ` +
          `(tables: ${known.join(', ') || 'none'}); has the sink written it? run \`tickstream catalog crawl\` after it has`,
      );
    }
    return new Error(`query ${name} failed on DuckDB: ${err.message}`);
  }
}

function duckDbType(p: BoundParam): DuckDBType {
  switch (p.type) {
    case 'string':
    case 'date':
      // Dates compare with the dt partition key, which is a string (as in Glue).
      return VARCHAR;
    case 'integer':
    case 'interval':
      return BIGINT;
    case 'number':
      return DOUBLE;
  }
}

/** A DuckDB value as the runner interface's normalized value (see runner.ts). */
export function toValue(v: DuckDBValue, type: DuckDBType): Value {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return integerValue(v);
  switch (type.typeId) {
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return isoTimestamp(v as { micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint });
    case DuckDBTypeId.DATE:
      return String(v);
    case DuckDBTypeId.DECIMAL:
      return (v as { toDouble(): number }).toDouble();
    default:
      return String(v);
  }
}

function isoTimestamp(v: { micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint }): string {
  // Floor, not truncation: timestamps before 1970 are negative.
  const ms = Math.floor(
    v.micros !== undefined
      ? Number(v.micros) / 1000
      : v.millis !== undefined
        ? Number(v.millis)
        : v.seconds !== undefined
          ? Number(v.seconds) * 1000
          : Number(v.nanos ?? 0n) / 1e6,
  );
  return new Date(ms).toISOString();
}
