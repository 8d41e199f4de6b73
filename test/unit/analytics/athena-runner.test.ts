/**
 * The Athena runner's protocol with a scripted client: paging through GetQueryResults with
 * NextToken (moto returns every row in one page, so the integration test cannot show
 * this), and an execution that ends FAILED with the engine's error (moto never fails a
 * query). The moto tests cover the rest against a real Athena API server.
 */
import { expect } from 'chai';
import type { AthenaClient } from '@aws-sdk/client-athena';
import { AthenaQueryError, AthenaRunner } from '../../../analytics/runners/athena.js';

type Call = { name: string; input: Record<string, unknown> };

function scriptedClient(script: (call: Call) => unknown): { client: Pick<AthenaClient, 'send'>; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const call = { name: command.constructor.name.replace(/Command$/, ''), input: command.input };
      calls.push(call);
      return script(call);
    },
  } as unknown as Pick<AthenaClient, 'send'>;
  return { client, calls };
}

const FAST = { baseMs: 1, maxMs: 2, factor: 1 };
const COLUMNS = [{ Name: 'symbol', Type: 'varchar' }, { Name: 'n', Type: 'bigint' }];
const row = (...cells: string[]) => ({ Data: cells.map((c) => ({ VarCharValue: c })) });

describe('Athena runner protocol (scripted client)', () => {
  it('pages through every result page and drops only the first page\'s header row', async () => {
    const pages: Record<string, unknown> = {
      start: { ResultSet: { ResultSetMetadata: { ColumnInfo: COLUMNS }, Rows: [row('symbol', 'n'), row('A', '1'), row('B', '2')] }, NextToken: 't1' },
      t1: { ResultSet: { ResultSetMetadata: { ColumnInfo: COLUMNS }, Rows: [row('C', '3'), row('D', '4')] }, NextToken: 't2' },
      t2: { ResultSet: { ResultSetMetadata: { ColumnInfo: COLUMNS }, Rows: [row('E', '5')] } },
    };
    let polls = 0;
    const { client, calls } = scriptedClient((c) => {
      if (c.name === 'StartQueryExecution') return { QueryExecutionId: 'q-1' };
      if (c.name === 'GetQueryExecution') {
        polls++;
        return { QueryExecution: { StatementType: 'DML', Status: { State: polls < 3 ? 'RUNNING' : 'SUCCEEDED' }, Statistics: { DataScannedInBytes: 123 } } };
      }
      if (c.name === 'GetQueryResults') return pages[(c.input.NextToken as string | undefined) ?? 'start'];
      throw new Error(`unexpected ${c.name}`);
    });
    const runner = new AthenaRunner({ client, workGroup: 'wg', database: 'db', backoff: FAST, pageSize: 2 });
    const result = await runner.run({ name: 'q', sql: 'SELECT ?' }, [{ name: 's', type: 'string', value: "it's" }]);
    expect(result.rows).to.deep.equal([{ symbol: 'A', n: 1 }, { symbol: 'B', n: 2 }, { symbol: 'C', n: 3 }, { symbol: 'D', n: 4 }, { symbol: 'E', n: 5 }]);
    expect(calls.filter((c) => c.name === 'GetQueryResults').map((c) => [c.input.NextToken, c.input.MaxResults])).to.deep.equal([
      [undefined, 2],
      ['t1', 2],
      ['t2', 2],
    ]);
    expect(calls[0]!.input).to.deep.include({ QueryString: 'SELECT ?', ExecutionParameters: ["'it''s'"], WorkGroup: 'wg' });
    expect(calls[0]!.input.ClientRequestToken).to.be.a('string');
    expect(polls).to.equal(3);
    expect(result.stats).to.deep.include({ queryId: 'q-1', bytesScanned: 123 });
  });

  it('a FAILED execution is an error carrying Athena\'s message, and no results are fetched', async () => {
    const { client, calls } = scriptedClient((c) => {
      if (c.name === 'StartQueryExecution') return { QueryExecutionId: 'q-2' };
      if (c.name === 'GetQueryExecution') {
        return {
          QueryExecution: {
            Status: {
              State: 'FAILED',
              StateChangeReason: 'TABLE_NOT_FOUND: line 3:8: Table awsdatacatalog.tickstream.bars_1m does not exist',
              AthenaError: { ErrorCategory: 2, ErrorType: 1301, ErrorMessage: 'TABLE_NOT_FOUND: line 3:8: Table awsdatacatalog.tickstream.bars_1m does not exist' },
            },
          },
        };
      }
      throw new Error(`unexpected ${c.name}`);
    });
    const runner = new AthenaRunner({ client, workGroup: 'wg', database: 'db', backoff: FAST });
    const err = await runner.run({ name: 'top_movers', sql: 'SELECT 1' }, []).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AthenaQueryError);
    expect((err as AthenaQueryError).message).to.equal(
      'query top_movers failed on Athena (q-2): TABLE_NOT_FOUND: line 3:8: Table awsdatacatalog.tickstream.bars_1m does not exist [user error]',
    );
    expect((err as AthenaQueryError).state).to.equal('FAILED');
    expect(calls.map((c) => c.name)).to.deep.equal(['StartQueryExecution', 'GetQueryExecution']);
  });
});
