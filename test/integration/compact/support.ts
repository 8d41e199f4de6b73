/**
 * What the compaction tests compare before and after: the answers of every named query on
 * DuckDB (the marker-aware reader), and the rows a folder-listing engine (Athena, Trino's
 * Hive connector) would read: every non-hidden Parquet file directly in a `dt=` folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindParams } from '../../../analytics/params.js';
import { loadQueries } from '../../../analytics/query-catalog.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import type { Row } from '../../../analytics/runners/runner.js';
import { decodeFile } from '../../../compact/columns.js';
import { LAKE_TABLES, RAW_TICKS } from '../../../lib/lake.js';

export interface Answers {
  /** Query name -> its rows, default parameters (data_quality with a gap that fits daily data). */
  readonly queries: Map<string, Row[]>;
  readonly ticks: number;
  /** Distinct (symbol, ts, kafka_partition, kafka_offset, price): a doubled file shows here. */
  readonly distinctTicks: number;
  readonly bars: number;
}

export async function answers(lake: string): Promise<Answers> {
  const runner = await DuckDbRunner.open({ lake, threads: 1 });
  try {
    const queries = new Map<string, Row[]>();
    for (const query of loadQueries()) {
      const values = query.name === 'data_quality' ? { gap_seconds: String(5 * 86_400) } : {};
      queries.set(query.name, [...(await runner.run(query, bindParams(query.name, query.params, values))).rows]);
    }
    const [t] = await runner.sql(
      'SELECT count(*) AS n, count(DISTINCT (symbol, ts, kafka_partition, kafka_offset, price)) AS d FROM ticks',
    );
    const [b] = await runner.sql('SELECT count(*) AS n FROM bars_1m');
    return { queries, ticks: Number(t!.n), distinctTicks: Number(t!.d), bars: Number(b!.n) };
  } finally {
    await runner.close();
  }
}

/** Rows in the files a folder-listing engine reads (no marker, `_` and `.` names hidden), per table. */
export function listedRows(lake: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const table of LAKE_TABLES) {
    let rows = 0;
    const dir = join(lake, table.prefix);
    for (const folder of readdirSync(dir).filter((d) => d.startsWith('dt='))) {
      for (const name of readdirSync(join(dir, folder))) {
        if (!name.endsWith('.parquet') || name.startsWith('_') || name.startsWith('.')) continue;
        rows += decodeFile(table, readFileSync(join(dir, folder, name)), name).length;
      }
    }
    out[table.name] = rows;
  }
  return out;
}

/** Per partition folder of raw/ticks: the Parquet files a folder-listing engine reads. */
export function listedFiles(lake: string, table = RAW_TICKS): Map<string, string[]> {
  const dir = join(lake, table.prefix);
  return new Map(
    readdirSync(dir)
      .filter((d) => d.startsWith('dt='))
      .map((d) => [d, readdirSync(join(dir, d)).filter((n) => n.endsWith('.parquet') && !n.startsWith('_'))] as const),
  );
}
