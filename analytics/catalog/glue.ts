/**
 * The AWS Glue Data Catalog, read and crawled through its API: databases, tables and
 * partitions (every page of each), and crawlers started and waited for. Tables come back
 * in the same shape as the local catalog's, so `catalog show` prints both alike.
 */
import {
  GetCrawlerCommand,
  GetDatabasesCommand,
  GetPartitionsCommand,
  GetTablesCommand,
  StartCrawlerCommand,
  type Crawler,
  type GlueClient,
  type Partition,
  type Table,
} from '@aws-sdk/client-glue';
import { sleep, type Backoff } from '../../lib/async.js';
import { DEFAULT_BACKOFF, pollDelayMs } from '../wait.js';
import type { Catalog, CatalogColumn, CatalogPartition, CatalogTable } from './model.js';

export interface GlueDatabaseInfo {
  readonly name: string;
  readonly description?: string;
  readonly locationUri?: string;
}

export type CrawlStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface CrawlResult {
  readonly crawler: string;
  readonly status: CrawlStatus;
  /** Glue's message for a failed crawl. */
  readonly errorMessage?: string;
  readonly elapsedMs: number;
}

export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Give up waiting (the crawler keeps running) after this long. */
  readonly timeoutMs?: number;
  readonly backoff?: Backoff;
  /** Called after every poll with the crawler's state (RUNNING, STOPPING, READY). */
  readonly onState?: (state: string) => void;
}

/** The crawler's last crawl status, as a result. Glue says SUCCEEDED; its crawl history (and moto) COMPLETED. */
export function crawlStatusOf(lastCrawlStatus: string | undefined): CrawlStatus | null {
  switch (lastCrawlStatus) {
    case 'SUCCEEDED':
    case 'COMPLETED':
      return 'SUCCEEDED';
    case 'FAILED':
      return 'FAILED';
    case 'CANCELLED':
    case 'STOPPED':
      return 'CANCELLED';
    default:
      return null;
  }
}

export class GlueCatalogClient {
  constructor(
    private readonly client: Pick<GlueClient, 'send'>,
    private readonly catalogId?: string,
  ) {}

  async databases(): Promise<GlueDatabaseInfo[]> {
    const out: GlueDatabaseInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new GetDatabasesCommand({ CatalogId: this.catalogId, NextToken: token }));
      for (const d of page.DatabaseList ?? []) {
        out.push({ name: d.Name ?? '', ...(d.Description ? { description: d.Description } : {}), ...(d.LocationUri ? { locationUri: d.LocationUri } : {}) });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  async tables(database: string): Promise<Table[]> {
    const out: Table[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new GetTablesCommand({ CatalogId: this.catalogId, DatabaseName: database, NextToken: token }));
      out.push(...(page.TableList ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** Every partition of a table; `expression` is Glue's partition filter, e.g. `dt >= '2021-01-01'`. */
  async partitions(database: string, table: string, expression?: string): Promise<Partition[]> {
    const out: Partition[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new GetPartitionsCommand({ CatalogId: this.catalogId, DatabaseName: database, TableName: table, Expression: expression, NextToken: token }),
      );
      out.push(...(page.Partitions ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** The database as a catalog: every table with its columns and partitions. */
  async read(database: string, location: string, now = new Date()): Promise<Catalog> {
    const tables: CatalogTable[] = [];
    for (const t of await this.tables(database)) {
      const partitions = t.PartitionKeys && t.PartitionKeys.length > 0 ? await this.partitions(database, t.Name ?? '') : [];
      tables.push(tableOf(t, partitions));
    }
    tables.sort((a, b) => (a.name < b.name ? -1 : 1));
    return { source: 'glue', database, location, crawledAt: now.toISOString(), tables };
  }

  async crawler(name: string): Promise<Crawler> {
    const out = await this.client.send(new GetCrawlerCommand({ Name: name }));
    if (!out.Crawler) throw new Error(`Glue returned no crawler ${name}`);
    return out.Crawler;
  }

  /**
   * Starts a crawler. One that is already running is not an error: the caller waits for
   * that crawl, which covers the same folders. Returns whether this call started it.
   */
  async startCrawler(name: string): Promise<boolean> {
    try {
      await this.client.send(new StartCrawlerCommand({ Name: name }));
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'CrawlerRunningException') return false;
      throw err;
    }
  }

  /**
   * Waits until the crawler is READY again and reports how its last crawl ended. An abort
   * or the timeout stops the waiting, not the crawler (it may be a scheduled crawl that
   * others rely on).
   */
  async waitForCrawler(name: string, options: WaitOptions = {}): Promise<CrawlResult> {
    const started = performance.now();
    const deadline = started + (options.timeoutMs ?? 30 * 60_000);
    for (let attempt = 0; ; attempt++) {
      const crawler = await this.crawler(name);
      const state = crawler.State ?? 'UNKNOWN';
      options.onState?.(state);
      if (state === 'READY') {
        const status = crawlStatusOf(crawler.LastCrawl?.Status);
        if (!status) throw new Error(`crawler ${name} is READY but has no finished crawl`);
        return {
          crawler: name,
          status,
          ...(crawler.LastCrawl?.ErrorMessage ? { errorMessage: crawler.LastCrawl.ErrorMessage } : {}),
          elapsedMs: performance.now() - started,
        };
      }
      if (options.signal?.aborted) throw new Error(`stopped waiting for crawler ${name} (it is still ${state})`);
      if (performance.now() > deadline) throw new Error(`crawler ${name} is still ${state} after ${Math.round((performance.now() - started) / 1000)} s`);
      await sleep(pollDelayMs(attempt, options.backoff ?? { ...DEFAULT_BACKOFF, baseMs: 1000, maxMs: 15_000 }), options.signal);
    }
  }

  /** Start (or join) a crawl and wait for it. */
  async crawl(name: string, options: WaitOptions = {}): Promise<CrawlResult & { readonly started: boolean }> {
    const started = await this.startCrawler(name);
    return { ...(await this.waitForCrawler(name, options)), started };
  }
}

function tableOf(t: Table, partitions: readonly Partition[]): CatalogTable {
  const column = (c: { Name?: string; Type?: string }): CatalogColumn => ({ name: c.Name ?? '', type: c.Type ?? '' });
  const parts: CatalogPartition[] = partitions
    .map((p) => ({ values: p.Values ?? [], location: p.StorageDescriptor?.Location ?? '' }))
    .sort((a, b) => (a.values.join('/') < b.values.join('/') ? -1 : 1));
  return {
    name: t.Name ?? '',
    location: t.StorageDescriptor?.Location ?? '',
    format: t.Parameters?.classification ?? formatOf(t.StorageDescriptor?.InputFormat),
    columns: (t.StorageDescriptor?.Columns ?? []).map(column),
    partitionKeys: (t.PartitionKeys ?? []).map(column),
    partitions: parts,
    ...(t.Parameters ? { parameters: t.Parameters } : {}),
  };
}

function formatOf(inputFormat: string | undefined): string {
  if (!inputFormat) return 'unknown';
  return /parquet/i.test(inputFormat) ? 'parquet' : inputFormat;
}
