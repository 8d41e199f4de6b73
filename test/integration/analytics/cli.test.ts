/**
 * `tickstream query` and `tickstream catalog` as a user runs them: the real command line
 * over a lake of generated index data, and on Athena against moto (including Ctrl-C).
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient, CreateWorkGroupCommand, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { BatchCreatePartitionCommand, CreateCrawlerCommand, CreateDatabaseCommand, CreateTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { buildIndexLake, readIndexBars, type IndexLake } from '../../support/lake-fixture.js';
import { startMoto, TEST_AWS_ENV, type MotoServer } from '../../support/moto.js';
import { awsClientConfig, queueAthenaResults, setTransition, unsetTransition } from './moto-api.js';

const PORT = 27103;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function tickstream(args: readonly string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, ['bin/tickstream.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env, TICKSTREAM_CONFIG: '' },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function parseCsv(text: string): Array<Record<string, string>> {
  const [header, ...lines] = text.trimEnd().split('\r\n');
  const names = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
}

describe('tickstream query / catalog (command line)', function () {
  this.timeout(120_000);
  let lake: IndexLake;

  before(() => {
    lake = buildIndexLake({ from: '2020-02-03', to: '2020-03-31', symbols: ['NYA', 'IXIC', 'HSI'] });
  });

  it('lists the named queries with their parameters', () => {
    const r = tickstream(['query', '--list']);
    expect(r.status, r.stderr).to.equal(0);
    for (const name of ['ohlcv', 'vwap', 'returns_volatility', 'top_movers', 'max_drawdown', 'ma_crossovers', 'volume_spikes', 'data_quality']) {
      expect(r.stdout).to.match(new RegExp(`^${name} `, 'm'));
    }
    expect(r.stdout).to.contain('interval, symbol, from, to');
  });

  it('daily bars as CSV reproduce the source data; statistics go to standard error', () => {
    const r = tickstream(['query', 'ohlcv', '--lake', lake.root, '--symbol', 'IXIC', '--from', '2020-03-01', '--to', '2020-03-31', '--interval', '1d', '--format', 'csv']);
    expect(r.status, r.stderr).to.equal(0);
    const rows = parseCsv(r.stdout);
    const source = readIndexBars().filter((b) => b.symbol === 'IXIC' && b.date >= '2020-03-01' && b.date <= '2020-03-31');
    expect(rows.map((row) => [row.bar_start!.slice(0, 10), Number(row.open), Number(row.high), Number(row.low), Number(row.close), Number(row.volume)])).to.deep.equal(
      source.map((b) => [b.date, b.open, b.high, b.low, b.close, b.volume]),
    );
    expect(source.length).to.be.greaterThan(15);
    expect(r.stderr).to.match(new RegExp(`^${source.length} rows in \\d+\\.\\d\\d s \\(duckdb\\)$`, 'm'));
  });

  it('JSON output carries the parameters and typed rows; the table output is aligned', () => {
    const json = tickstream(['query', 'top_movers', '--lake', lake.root, '--from', '2020-02-03', '--to', '2020-03-31', '-p', 'limit=1', '--format', 'json']);
    expect(json.status, json.stderr).to.equal(0);
    const doc = JSON.parse(json.stdout) as { params: Record<string, unknown>; rows: Array<Record<string, unknown>> };
    expect(doc.params).to.deep.equal({ limit: 1, from: '2020-02-03', to: '2020-03-31' });
    expect(doc.rows).to.have.length(1);
    expect(doc.rows[0]).to.include({ side: 'loser', rank: 1 });
    expect(doc.rows[0]!.ret).to.be.a('number').below(-0.1);

    const table = tickstream(['query', 'max_drawdown', '--lake', lake.root]);
    expect(table.status, table.stderr).to.equal(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^symbol\s+max_drawdown\s+peak_day/);
    expect(lines[1]).to.match(/^-+( +-+)+$/);
    expect(lines).to.have.length(2 + 3);
    const col = lines[0]!.indexOf('peak_day');
    for (const l of lines.slice(2)) expect(l.slice(col, col + 10)).to.match(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('writes an HTML chart that works offline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstream-chart-'));
    try {
      const out = join(dir, 'bars.html');
      const r = tickstream(['query', 'ohlcv', '--lake', lake.root, '--symbol', 'NYA', '--interval', '1h', '--chart', out, '--format', 'csv']);
      expect(r.status, r.stderr).to.equal(0);
      const html = readFileSync(out, 'utf8');
      expect(html).to.contain('TradingView Lightweight Charts');
      expect(html).not.to.match(/<script[^>]+src=/);
      const data = JSON.parse(/const DATA = (.*);\n/.exec(html)![1]!) as { kind: string; charts: Array<{ symbol: string; series: { price: unknown[]; volume: unknown[] } }> };
      expect(data.kind).to.equal('candlestick');
      expect(data.charts.map((c) => c.symbol)).to.deep.equal(['NYA']);
      expect(data.charts[0]!.series.price).to.have.length(parseCsv(r.stdout).length);
      const noChart = tickstream(['query', 'top_movers', '--lake', lake.root, '--chart', out]);
      expect(noChart.status).to.equal(1);
      expect(noChart.stderr).to.contain('query top_movers has no chart');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains bad input and exits non-zero', () => {
    const unknown = tickstream(['query', 'nope', '--lake', lake.root]);
    expect(unknown.status).to.equal(1);
    expect(unknown.stderr).to.match(/no query named "nope"; the queries are: data_quality, ma_crossovers/);
    const badDate = tickstream(['query', 'vwap', '--lake', lake.root, '--from', '2020-02-30']);
    expect(badDate.status).to.equal(1);
    expect(badDate.stderr).to.contain('parameter from: expected a calendar date YYYY-MM-DD, got "2020-02-30"');
    const noLake = tickstream(['query', 'vwap', '--lake', join(lake.root, 'missing')]);
    expect(noLake.status).to.equal(1);
    expect(noLake.stderr).to.match(/lake folder .*missing does not exist/);
    const badEngine = tickstream(['query', 'vwap', '--engine', 'presto']);
    expect(badEngine.status).to.equal(2);
    expect(badEngine.stderr).to.contain('analytics.engine (TICKSTREAM_QUERY_ENGINE): expected one of duckdb, athena');
  });

  it('catalog crawl writes <lake>/_catalog.json; catalog show prints it', () => {
    const crawl = tickstream(['catalog', 'crawl', '--lake', lake.root]);
    expect(crawl.status, crawl.stderr).to.equal(0);
    expect(existsSync(join(lake.root, '_catalog.json'))).to.equal(true);
    expect(crawl.stdout).to.match(/^ticks\s+raw\/ticks\s+\d+\s+day\s+2020-02-03\s+2020-03-31\s+/m);
    const show = tickstream(['catalog', 'show', '--lake', lake.root, '--format', 'json']);
    expect(show.status, show.stderr).to.equal(0);
    const catalog = JSON.parse(show.stdout) as { tables: Array<{ name: string; partitions: unknown[] }> };
    expect(catalog.tables.map((t) => t.name)).to.deep.equal(['bars_1m', 'ticks']);
    expect(catalog.tables[1]!.partitions).to.have.length(lake.ticksFiles.files);
  });

  describe('on Athena (moto)', () => {
    let moto: MotoServer;
    let client: AthenaClient;
    const env = () => ({ ...TEST_AWS_ENV, TICKSTREAM_AWS_ENDPOINT: moto.endpoint, TICKSTREAM_ATHENA_WORKGROUP: 'cli-test' });

    before(async () => {
      moto = await startMoto(PORT);
      client = new AthenaClient(awsClientConfig(moto.endpoint));
      await client.send(new CreateWorkGroupCommand({ Name: 'cli-test', Configuration: { ResultConfiguration: { OutputLocation: 's3://results/' } } }));
    });
    after(async () => {
      client?.destroy();
      await moto?.stop();
    });

    it('runs a query on Athena and reports bytes scanned and cost', async () => {
      await queueAthenaResults(moto.endpoint, [
        { columns: [{ Name: 'symbol', Type: 'varchar' }, { Name: 'day', Type: 'varchar' }, { Name: 'vwap', Type: 'double' }], rows: [['NYA', '2020-03-02', '12603.93']] },
      ]);
      const r = tickstream(['query', 'vwap', '--engine', 'athena', '--symbol', 'NYA', '--format', 'csv'], env());
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('symbol,day,vwap\r\nNYA,2020-03-02,12603.93\r\n');
      expect(r.stderr).to.match(/^1 row in \d+\.\d\d s \(athena\); scanned 0 B, cost \$0\.000048; query [0-9a-f-]{36}$/m);
    });

    it('catalog show --glue prints the Glue tables; catalog crawl --glue runs a crawler to the end', async () => {
      const glue = new GlueClient(awsClientConfig(moto.endpoint));
      try {
        await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'cli_glue' } }));
        await glue.send(
          new CreateTableCommand({
            DatabaseName: 'cli_glue',
            TableInput: {
              Name: 'ticks',
              PartitionKeys: [{ Name: 'dt', Type: 'string' }],
              StorageDescriptor: { Location: 's3://lake/raw/ticks/', Columns: [{ Name: 'symbol', Type: 'string' }, { Name: 'ts', Type: 'timestamp' }] },
              Parameters: { classification: 'parquet' },
            },
          }),
        );
        await glue.send(
          new BatchCreatePartitionCommand({
            DatabaseName: 'cli_glue',
            TableName: 'ticks',
            PartitionInputList: ['2021-01-04', '2021-01-05'].map((dt) => ({ Values: [dt], StorageDescriptor: { Location: `s3://lake/raw/ticks/dt=${dt}/` } })),
          }),
        );
        const show = tickstream(['catalog', 'show', '--glue', '--database', 'cli_glue'], env());
        expect(show.status, show.stderr).to.equal(0);
        expect(show.stdout).to.match(/^database cli_glue \(glue, /);
        expect(show.stdout).to.match(/^ticks\s+s3:\/\/lake\/raw\/ticks\/\s+symbol string, ts timestamp\s+2\s+day\s+2021-01-04\s+2021-01-05$/m);

        await glue.send(
          new CreateCrawlerCommand({ Name: 'cli-crawler', Role: 'arn:aws:iam::123456789012:role/crawler', DatabaseName: 'cli_glue', Targets: { S3Targets: [{ Path: 's3://lake/raw/' }] } }),
        );
        await setTransition(moto.endpoint, 'glue::crawl', { progression: 'time', seconds: 1 });
        const crawl = tickstream(['catalog', 'crawl', '--glue', '--crawler', 'cli-crawler'], env());
        expect(crawl.status, crawl.stderr).to.equal(0);
        expect(crawl.stdout).to.match(/^cli-crawler\s+SUCCEEDED\s+yes\s+/m);
        expect(crawl.stderr).to.contain('crawler cli-crawler: RUNNING');
      } finally {
        await unsetTransition(moto.endpoint, 'glue::crawl');
        glue.destroy();
      }
    });

    it('Ctrl-C cancels the Athena query and exits 130', async () => {
      await setTransition(moto.endpoint, 'athena::execution', { progression: 'manual', times: 1_000_000 });
      try {
        const before = (await client.send(new ListQueryExecutionsCommand({ WorkGroup: 'cli-test' }))).QueryExecutionIds ?? [];
        const child = spawn(process.execPath, ['bin/tickstream.js', 'query', 'vwap', '--engine', 'athena'], { env: { ...process.env, ...env(), TICKSTREAM_CONFIG: '' } });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // Wait until the execution exists in Athena, then press Ctrl-C.
        let started: string | undefined;
        for (let i = 0; i < 200 && !started; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const ids = (await client.send(new ListQueryExecutionsCommand({ WorkGroup: 'cli-test' }))).QueryExecutionIds ?? [];
          started = ids.find((id) => !before.includes(id));
        }
        expect(started, 'the query never started').to.be.a('string');
        child.kill('SIGINT');
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        expect(code, stderr).to.equal(130);
        expect(stderr).to.contain(`query vwap was cancelled (${started})`);
        const state = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: started }));
        expect(state.QueryExecution?.Status?.State).to.equal('CANCELLED');
      } finally {
        await unsetTransition(moto.endpoint, 'athena::execution');
      }
    });
  });
});
