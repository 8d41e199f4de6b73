/**
 * The Athena runner against moto's Athena API (a private server: these tests change its
 * state machine and its result queue, which would disturb other tests on a shared one).
 * moto runs no SQL: the rows an execution returns are queued through moto's API, in the
 * form Athena sends them (text cells, a header row first).
 */
import { expect } from 'chai';
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import { bindParams } from '../../../analytics/params.js';
import { findQuery } from '../../../analytics/query-catalog.js';
import { AthenaQueryError, AthenaRunner } from '../../../analytics/runners/athena.js';
import { athenaCostUsd } from '../../../analytics/runners/athena-pure.js';
import { DuckDbRunner } from '../../../analytics/runners/duckdb.js';
import { QueryCancelledError, type Row } from '../../../analytics/runners/runner.js';
import { buildIndexLake } from '../../support/lake-fixture.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import { awsClientConfig, queueAthenaResults, setTransition, unsetTransition, type AthenaColumn } from './moto-api.js';

const PORT = 27101;
const WORKGROUP = 'tickstream-analytics-test';
const FAST = { baseMs: 20, maxMs: 100, factor: 1.5 };

describe('Athena runner against moto', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let client: AthenaClient;

  before(async () => {
    moto = await startMoto(PORT);
    client = new AthenaClient(awsClientConfig(moto.endpoint));
    await client.send(
      new CreateWorkGroupCommand({ Name: WORKGROUP, Configuration: { ResultConfiguration: { OutputLocation: 's3://athena-results/tickstream/' }, EnforceWorkGroupConfiguration: true } }),
    );
  });
  after(async () => {
    client?.destroy();
    await moto?.stop();
  });
  afterEach(async () => {
    await unsetTransition(moto.endpoint, 'athena::execution');
  });

  const runner = (extra: Partial<ConstructorParameters<typeof AthenaRunner>[0]> = {}) =>
    new AthenaRunner({ client, workGroup: WORKGROUP, database: 'tickstream', backoff: FAST, ...extra });

  it('runs a named query with its values as execution parameters and returns the rows DuckDB returns for it', async () => {
    // The DuckDB answer of the same query over a lake of generated index data, printed as Athena prints it.
    const lake = buildIndexLake({ from: '2020-03-02', to: '2020-03-06', symbols: ['NYA', 'HSI'], bars: false });
    const duck = await DuckDbRunner.open({ lake: lake.root });
    const query = findQuery('ohlcv');
    const params = bindParams('ohlcv', query.params, { symbol: 'NYA', interval: '1h', from: '2020-03-02', to: '2020-03-06' });
    const local = await duck.run(query, params);
    await duck.close();
    const athenaType: Record<string, string> = { varchar: 'varchar', timestamp: 'timestamp', double: 'double', bigint: 'bigint' };
    const columns: AthenaColumn[] = local.columns.map((c) => ({ Name: c.name, Type: athenaType[c.type]! }));
    const asText = (v: Row[string], type: string): string | null =>
      v === null ? null : type === 'timestamp' ? String(v).replace('T', ' ').replace('Z', '') : String(v);
    await queueAthenaResults(moto.endpoint, [{ columns, rows: local.rows.map((r) => columns.map((c) => asText(r[c.Name] ?? null, c.Type))) }]);

    const result = await runner().run(query, params);

    expect(result.columns).to.deep.equal(columns.map((c) => ({ name: c.Name, type: c.Type })));
    expect(result.rows).to.deep.equal(local.rows);
    expect(result.stats.engine).to.equal('athena');
    expect(result.stats.bytesScanned).to.equal(0);
    expect(result.stats.costUsd).to.equal(athenaCostUsd(0));
    // What Athena received: the query's own text with its ? intact, the values apart.
    const sent = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: result.stats.queryId }));
    expect(sent.QueryExecution?.Query).to.equal(query.sql);
    expect(sent.QueryExecution?.WorkGroup).to.equal(WORKGROUP);
    expect(sent.QueryExecution?.QueryExecutionContext).to.deep.equal({ Database: 'tickstream', Catalog: 'AwsDataCatalog' });
    // The date window binds `from` four times and `to` twice: the partition filter that prunes
    // under any granularity (from as a day, its month, its year; to) and the exact event-time filter.
    expect(sent.QueryExecution?.ExecutionParameters).to.deep.equal(
      ['3600', "'NYA'", "'2020-03-02'", "'2020-03-02'", "'2020-03-02'", "'2020-03-06'", "'2020-03-02'", "'2020-03-06'"],
    );
    expect(sent.QueryExecution?.ExecutionParameters).to.have.length(params.length);
  });

  it('returns every row of a large result, with the header row dropped once', async () => {
    const columns = [{ Name: 'symbol', Type: 'varchar' }, { Name: 'day', Type: 'varchar' }, { Name: 'volume', Type: 'bigint' }, { Name: 'z', Type: 'double' }];
    const rows = Array.from({ length: 2500 }, (_, i) => [`S${i % 7}`, `2021-01-${String((i % 28) + 1).padStart(2, '0')}`, String(i * 1000), i % 11 === 0 ? null : String(i / 8)]);
    await queueAthenaResults(moto.endpoint, [{ columns, rows }]);
    const result = await runner().run({ name: 'big', sql: 'SELECT symbol, day, volume, z FROM t' }, []);
    expect(result.rows).to.have.length(2500);
    expect(result.rows[0]).to.deep.equal({ symbol: 'S0', day: '2021-01-01', volume: 0, z: null });
    expect(result.rows[2499]).to.deep.equal({ symbol: `S${2499 % 7}`, day: `2021-01-${String((2499 % 28) + 1).padStart(2, '0')}`, volume: 2_499_000, z: 2499 / 8 });
  });

  it('a query Athena refuses fails with Athena\'s own message', async () => {
    const err = await new AthenaRunner({ client, workGroup: 'no-such-workgroup', database: 'tickstream', backoff: FAST })
      .run({ name: 'vwap', sql: 'SELECT 1' }, [])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(AthenaQueryError);
    expect((err as Error).message).to.equal('Athena refused query vwap: InvalidRequestException: WorkGroup does not exist');
  });

  it('Ctrl-C (an aborted signal) stops the execution in Athena and reports it cancelled', async () => {
    // Executions stay QUEUED until something ends them.
    await setTransition(moto.endpoint, 'athena::execution', { progression: 'manual', times: 1_000_000 });
    const controller = new AbortController();
    const states: string[] = [];
    const running = runner({
      onState: (e) => {
        states.push(e.state);
        if (states.length === 3) controller.abort();
      },
    }).run({ name: 'ohlcv', sql: 'SELECT 1' }, [], { signal: controller.signal });
    const err = await running.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(QueryCancelledError);
    const queryId = (err as QueryCancelledError).queryId!;
    expect(states).to.deep.equal(['QUEUED', 'QUEUED', 'QUEUED']);
    // Athena itself says the execution was stopped.
    const after = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    expect(after.QueryExecution?.Status?.State).to.equal('CANCELLED');
  });

  it('an execution someone else stops ends the run with an error that says so', async () => {
    await setTransition(moto.endpoint, 'athena::execution', { progression: 'manual', times: 1_000_000 });
    const running = runner({
      onState: (e) => {
        if (e.state === 'QUEUED') void client.send(new StopQueryExecutionCommand({ QueryExecutionId: e.queryId }));
      },
    }).run({ name: 'vwap', sql: 'SELECT 1' }, []);
    const err = await running.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AthenaQueryError);
    expect((err as AthenaQueryError).state).to.equal('CANCELLED');
    expect((err as Error).message).to.match(/^query vwap was cancelled on Athena \(.+\): /);
  });

  it('polls a running execution until it succeeds', async () => {
    // Each execution moves on one state every 2 polls: QUEUED, QUEUED, RUNNING, RUNNING, SUCCEEDED.
    await setTransition(moto.endpoint, 'athena::execution', { progression: 'manual', times: 2 });
    await queueAthenaResults(moto.endpoint, [{ columns: [{ Name: 'n', Type: 'bigint' }], rows: [['7']] }]);
    const states: string[] = [];
    const result = await runner({ onState: (e) => states.push(e.state) }).run({ name: 'n', sql: 'SELECT 7 AS n' }, []);
    expect(result.rows).to.deep.equal([{ n: 7 }]);
    expect(states[0]).to.equal('QUEUED');
    expect(states).to.include('RUNNING');
    expect(states[states.length - 1]).to.equal('SUCCEEDED');
  });
});
