/** One SQL statement on a fresh in-memory DuckDB, rows as plain objects (tests read Parquet files with it). */
import { DuckDBInstance } from '@duckdb/node-api';

export async function duckdbRows(sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
