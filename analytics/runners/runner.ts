/**
 * One interface for every SQL engine: a named query and its bound parameters in, typed
 * rows out. Values are normalized so that the same query gives the same JSON on DuckDB and
 * on Athena: integers and doubles as numbers (an integer beyond 2^53 as its decimal text),
 * timestamps as ISO-8601 UTC strings (`2021-01-04T14:30:00.000Z`), dates as `YYYY-MM-DD`.
 */
import type { BoundParam } from '../params.js';
import type { NamedQuery } from '../query-catalog.js';

export type EngineName = 'duckdb' | 'athena';

export type Value = string | number | boolean | null;
export type Row = Record<string, Value>;

/** A result column: its name and its engine type, lower case (`varchar`, `bigint`, `timestamp`, ...). */
export interface Column {
  readonly name: string;
  readonly type: string;
}

export interface RunStats {
  readonly engine: EngineName;
  /** Wall time from submit to the last row. */
  readonly elapsedMs: number;
  /** Athena: the query execution id. */
  readonly queryId?: string;
  /** Athena: bytes the engine read, and what that costs. */
  readonly bytesScanned?: number;
  readonly costUsd?: number;
}

export interface QueryResult {
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  readonly stats: RunStats;
}

export interface RunOptions {
  /** Aborting cancels the query in the engine (DuckDB interrupt, Athena StopQueryExecution). */
  readonly signal?: AbortSignal;
}

export interface QueryRunner {
  readonly engine: EngineName;
  run(query: Pick<NamedQuery, 'name' | 'sql'>, params: readonly BoundParam[], options?: RunOptions): Promise<QueryResult>;
  close(): Promise<void>;
}

/** Thrown when a query stopped because its signal was aborted (Ctrl-C). */
export class QueryCancelledError extends Error {
  constructor(
    readonly queryName: string,
    readonly queryId?: string,
  ) {
    super(`query ${queryName} was cancelled${queryId ? ` (${queryId})` : ''}`);
    this.name = 'QueryCancelledError';
  }
}

/** An integer as a number when exact, else its decimal text. */
export function integerValue(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}
