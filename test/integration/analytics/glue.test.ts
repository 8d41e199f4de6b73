/**
 * The Glue client against moto's Glue API (a private server: the crawler tests change its
 * state machine). The catalog is written through the API as a crawler would write it, from
 * what the local crawler found in a lake of generated index data; reading it back through the client
 * must give the same tables, columns and partitions.
 */
import { expect } from 'chai';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  BatchCreatePartitionCommand,
  CreateCrawlerCommand,
  CreateDatabaseCommand,
  CreateTableCommand,
  GetCrawlerCommand,
  GlueClient,
  StartCrawlerCommand,
  StopCrawlerCommand,
} from '@aws-sdk/client-glue';
import { crawlLocal } from '../../../analytics/catalog/local.js';
import { GlueCatalogClient } from '../../../analytics/catalog/glue.js';
import type { Catalog } from '../../../analytics/catalog/model.js';
import { buildIndexLake } from '../../support/lake-fixture.js';
import { startMoto, type MotoServer } from '../../support/moto.js';
import { awsClientConfig, setTransition, unsetTransition } from './moto-api.js';

const PORT = 27102;
const DATABASE = 'tickstream_glue_test';
const BUCKET = 's3://tickstream-lake/prod';
const FAST = { baseMs: 50, maxMs: 200, factor: 1.5 };

describe('Glue catalog client against moto', function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let sdk: GlueClient;
  let glue: GlueCatalogClient;
  let local: Catalog;

  before(async () => {
    moto = await startMoto(PORT);
    sdk = new GlueClient(awsClientConfig(moto.endpoint));
    glue = new GlueCatalogClient(sdk);
    // A year of index data: ~250 partitions per table, more than one page of GetPartitions.
    const lake = buildIndexLake({ from: '2019-01-01', to: '2019-12-31', symbols: ['NYA', 'HSI'] });
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    local = await crawlLocal(lake.root, conn);
    conn.closeSync();
    instance.closeSync();

    await sdk.send(new CreateDatabaseCommand({ DatabaseInput: { Name: DATABASE, Description: 'lake tables' } }));
    for (const t of local.tables) {
      const storage = (location: string) => ({
        Location: location,
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      });
      await sdk.send(
        new CreateTableCommand({
          DatabaseName: DATABASE,
          TableInput: {
            Name: t.name,
            TableType: 'EXTERNAL_TABLE',
            Parameters: { classification: 'parquet' },
            PartitionKeys: t.partitionKeys.map((k) => ({ Name: k.name, Type: k.type })),
            StorageDescriptor: { ...storage(`${BUCKET}/${t.location}/`), Columns: t.columns.map((c) => ({ Name: c.name, Type: c.type })) },
          },
        }),
      );
      for (let i = 0; i < t.partitions.length; i += 100) {
        await sdk.send(
          new BatchCreatePartitionCommand({
            DatabaseName: DATABASE,
            TableName: t.name,
            PartitionInputList: t.partitions.slice(i, i + 100).map((p) => ({ Values: [...p.values], StorageDescriptor: storage(`${BUCKET}/${p.location}/`) })),
          }),
        );
      }
    }
  });
  after(async () => {
    sdk?.destroy();
    await moto?.stop();
  });
  afterEach(async () => {
    await unsetTransition(moto.endpoint, 'glue::crawl');
  });

  it('lists the databases', async () => {
    const dbs = await glue.databases();
    expect(dbs.find((d) => d.name === DATABASE)).to.deep.equal({ name: DATABASE, description: 'lake tables' });
  });

  it('reads tables, columns and every partition: the same catalog the local crawler found', async () => {
    const remote = await glue.read(DATABASE, 'glue:us-east-1');
    expect(remote.source).to.equal('glue');
    expect(remote.tables.map((t) => t.name)).to.deep.equal(['bars_1m', 'ticks']);
    for (const t of remote.tables) {
      const l = local.tables.find((x) => x.name === t.name)!;
      expect(t.columns, t.name).to.deep.equal(l.columns);
      expect(t.partitionKeys).to.deep.equal([{ name: 'dt', type: 'string' }]);
      expect(t.partitions.map((p) => p.values), t.name).to.deep.equal(l.partitions.map((p) => p.values));
      expect(t.partitions.length).to.be.greaterThan(200);
      expect(t.partitions[0]!.location).to.equal(`${BUCKET}/${l.partitions[0]!.location}/`);
      expect(t.location).to.equal(`${BUCKET}/${l.location}/`);
      expect(t.format).to.equal('parquet');
    }
    expect(remote.tables.find((t) => t.name === 'ticks')!.columns.find((c) => c.name === 'ts')).to.deep.equal({ name: 'ts', type: 'timestamp' });
  });

  it('filters partitions with a Glue expression', async () => {
    const parts = await glue.partitions(DATABASE, 'ticks', "dt >= '2019-12-01'");
    expect(parts.map((p) => p.Values![0]).sort()).to.deep.equal(
      local.tables.find((t) => t.name === 'ticks')!.partitions.map((p) => p.values[0]!).filter((d) => d >= '2019-12-01'),
    );
  });

  async function createCrawler(name: string): Promise<void> {
    await sdk.send(
      new CreateCrawlerCommand({
        Name: name,
        Role: 'arn:aws:iam::123456789012:role/glue-crawler',
        DatabaseName: DATABASE,
        Targets: { S3Targets: [{ Path: `${BUCKET}/raw/` }] },
        SchemaChangePolicy: { UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' },
      }),
    );
  }

  it('starts a crawler and waits until its crawl succeeded', async () => {
    await createCrawler('raw-crawler');
    await setTransition(moto.endpoint, 'glue::crawl', { progression: 'time', seconds: 1 });
    const states: string[] = [];
    const result = await glue.crawl('raw-crawler', { backoff: FAST, onState: (s) => states.push(s) });
    expect(result).to.deep.include({ crawler: 'raw-crawler', status: 'SUCCEEDED', started: true });
    expect(states[0]).to.equal('RUNNING');
    expect(states[states.length - 1]).to.equal('READY');
    expect(result.elapsedMs).to.be.greaterThan(500);
  });

  it('joins a crawl that is already running instead of failing', async () => {
    await createCrawler('busy-crawler');
    await setTransition(moto.endpoint, 'glue::crawl', { progression: 'time', seconds: 1 });
    await sdk.send(new StartCrawlerCommand({ Name: 'busy-crawler' }));
    const result = await glue.crawl('busy-crawler', { backoff: FAST });
    expect(result).to.deep.include({ status: 'SUCCEEDED', started: false });
  });

  it('reports a crawl that was stopped as cancelled', async () => {
    await createCrawler('stopped-crawler');
    await setTransition(moto.endpoint, 'glue::crawl', { progression: 'time', seconds: 2 });
    let stopped = false;
    const result = await glue.crawl('stopped-crawler', {
      backoff: FAST,
      onState: (s) => {
        if (s === 'RUNNING' && !stopped) {
          stopped = true;
          void sdk.send(new StopCrawlerCommand({ Name: 'stopped-crawler' }));
        }
      },
    });
    expect(result.status).to.equal('CANCELLED');
  });

  it('stops waiting on abort but leaves the crawler running', async () => {
    await createCrawler('long-crawler');
    await setTransition(moto.endpoint, 'glue::crawl', { progression: 'manual', times: 1_000_000 });
    const controller = new AbortController();
    const err = await glue
      .crawl('long-crawler', { backoff: FAST, signal: controller.signal, onState: () => controller.abort() })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((err as Error).message).to.equal('stopped waiting for crawler long-crawler (it is still RUNNING)');
    const after = await sdk.send(new GetCrawlerCommand({ Name: 'long-crawler' }));
    expect(after.Crawler?.State).to.equal('RUNNING');
  });

  it('an unknown crawler is an error that names it', async () => {
    const err = await glue.crawl('no-such-crawler', { backoff: FAST }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { name: string }).name).to.equal('EntityNotFoundException');
    expect((err as Error).message).to.contain('no-such-crawler');
  });
});
