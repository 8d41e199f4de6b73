/**
 * The Athena runner: a named query as a parameterized query execution in a workgroup.
 *
 *  - Start: StartQueryExecution with the query's SQL (its `?` intact) and the values as
 *    ExecutionParameters, in the database of the Glue catalog; a ClientRequestToken makes
 *    an SDK retry of the start idempotent (one execution, not two).
 *  - Poll: GetQueryExecution with exponential backoff until a final state.
 *  - Fail: the engine's message (AthenaError / StateChangeReason) is the error's message.
 *  - Cancel: an aborted signal (Ctrl-C) sends StopQueryExecution and waits for CANCELLED,
 *    so no query keeps scanning (and billing) after the user gave up on it.
 *  - Results: GetQueryResults page by page (NextToken); the header row Athena puts first in
 *    a SELECT's first page is dropped; cells are typed from the column metadata.
 *  - Stats: bytes scanned and their cost (athenaCostUsd).
 */
import { randomUUID } from 'node:crypto';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { athenaLiteral, type BoundParam } from '../params.js';
import type { NamedQuery } from '../query-catalog.js';
import { athenaCostUsd, athenaValue, interpretStatus, type AthenaColumnInfo } from './athena-pure.js';
import { sleep, type Backoff } from '../../lib/async.js';
import { DEFAULT_BACKOFF, pollDelayMs } from '../wait.js';
import { QueryCancelledError, type Column, type QueryResult, type QueryRunner, type Row, type RunOptions } from './runner.js';

export interface AthenaRunnerOptions {
  readonly client: Pick<AthenaClient, 'send'>;
  readonly workGroup: string;
  /** Glue database the queries' table names resolve in. */
  readonly database: string;
  /** Data catalog (default AwsDataCatalog). */
  readonly catalog?: string;
  /** s3:// result location, only for workgroups that do not enforce their own. */
  readonly outputLocation?: string;
  readonly backoff?: Backoff;
  /** Rows per GetQueryResults call (Athena allows at most 1000). */
  readonly pageSize?: number;
  /** After a cancel, how long to wait for Athena to confirm it. */
  readonly cancelWaitMs?: number;
  /** Called after every poll: the CLI shows it as progress. */
  readonly onState?: (e: { readonly queryId: string; readonly state: string; readonly elapsedMs: number }) => void;
}

/** A query that Athena refused or that ended FAILED (or CANCELLED by someone else). */
export class AthenaQueryError extends Error {
  constructor(
    message: string,
    readonly queryId?: string,
    readonly state?: string,
  ) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

export class AthenaRunner implements QueryRunner {
  readonly engine = 'athena' as const;
  private readonly backoff: Backoff;

  constructor(private readonly options: AthenaRunnerOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  async run(query: Pick<NamedQuery, 'name' | 'sql'>, params: readonly BoundParam[], runOptions: RunOptions = {}): Promise<QueryResult> {
    const { signal } = runOptions;
    const started = performance.now();
    if (signal?.aborted) throw new QueryCancelledError(query.name);
    const { client } = this.options;

    let queryId: string;
    try {
      const out = await client.send(
        new StartQueryExecutionCommand({
          QueryString: query.sql,
          ...(params.length > 0 ? { ExecutionParameters: params.map(athenaLiteral) } : {}),
          QueryExecutionContext: { Database: this.options.database, Catalog: this.options.catalog ?? 'AwsDataCatalog' },
          WorkGroup: this.options.workGroup,
          ...(this.options.outputLocation ? { ResultConfiguration: { OutputLocation: this.options.outputLocation } } : {}),
          ClientRequestToken: randomUUID(),
        }),
      );
      if (!out.QueryExecutionId) throw new Error('StartQueryExecution returned no QueryExecutionId');
      queryId = out.QueryExecutionId;
    } catch (err) {
      throw new AthenaQueryError(`Athena refused query ${query.name}: ${awsMessage(err)}`);
    }

    let execution: QueryExecution | undefined;
    for (let attempt = 0; ; attempt++) {
      await sleep(pollDelayMs(attempt, this.backoff), signal);
      if (signal?.aborted) return this.cancel(query.name, queryId);
      execution = await this.describe(queryId);
      const outcome = interpretStatus(execution.Status);
      this.options.onState?.({ queryId, state: outcome.state, elapsedMs: performance.now() - started });
      if (!outcome.done) continue;
      if (outcome.state === 'SUCCEEDED') break;
      const verb = outcome.state === 'FAILED' ? 'failed' : 'was cancelled';
      throw new AthenaQueryError(`query ${query.name} ${verb} on Athena (${queryId}): ${outcome.message}`, queryId, outcome.state);
    }

    const { columns, rows } = await this.fetchResults(queryId, execution.StatementType, signal, query.name);
    const bytesScanned = execution.Statistics?.DataScannedInBytes ?? 0;
    return {
      columns,
      rows,
      stats: { engine: 'athena', elapsedMs: performance.now() - started, queryId, bytesScanned, costUsd: athenaCostUsd(bytesScanned) },
    };
  }

  async close(): Promise<void> {
    // The SDK client belongs to the caller.
  }

  private async describe(queryId: string): Promise<QueryExecution> {
    const out = await this.options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    if (!out.QueryExecution) throw new AthenaQueryError(`GetQueryExecution returned nothing for ${queryId}`, queryId);
    return out.QueryExecution;
  }

  /** Every page of the results, typed by the first page's column metadata. */
  private async fetchResults(
    queryId: string,
    statementType: string | undefined,
    signal: AbortSignal | undefined,
    name: string,
  ): Promise<{ columns: Column[]; rows: Row[] }> {
    let columns: Column[] = [];
    const rows: Row[] = [];
    let nextToken: string | undefined;
    let first = true;
    do {
      if (signal?.aborted) throw new QueryCancelledError(name, queryId);
      const page = await this.options.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: queryId, MaxResults: this.options.pageSize ?? 1000, NextToken: nextToken }),
      );
      const info: readonly AthenaColumnInfo[] = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      if (first) columns = info.map((c, i) => ({ name: c.Name ?? c.Label ?? `_col${i}`, type: (c.Type ?? 'varchar').toLowerCase() }));
      let pageRows = page.ResultSet?.Rows ?? [];
      // A SELECT's first page starts with a row of column labels.
      if (first && statementType === 'DML') pageRows = pageRows.slice(1);
      for (const r of pageRows) {
        const row: Row = {};
        columns.forEach((c, i) => (row[c.name] = athenaValue(r.Data?.[i]?.VarCharValue, c.type)));
        rows.push(row);
      }
      first = false;
      nextToken = page.NextToken;
    } while (nextToken);
    return { columns, rows };
  }

  /** StopQueryExecution, then wait (bounded) until Athena reports the query stopped. */
  private async cancel(name: string, queryId: string): Promise<never> {
    try {
      await this.options.client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }));
      const deadline = performance.now() + (this.options.cancelWaitMs ?? 30_000);
      for (let attempt = 0; performance.now() < deadline; attempt++) {
        const outcome = interpretStatus((await this.describe(queryId)).Status);
        if (outcome.done) break;
        await sleep(pollDelayMs(attempt, this.backoff));
      }
    } catch (err) {
      throw new AthenaQueryError(`could not cancel query ${name} (${queryId}); stop it in the Athena console: ${awsMessage(err)}`, queryId);
    }
    throw new QueryCancelledError(name, queryId);
  }
}

function awsMessage(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return e.name && e.name !== 'Error' ? `${e.name}: ${e.message ?? ''}` : (e.message ?? String(err));
}
