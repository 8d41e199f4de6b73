/**
 * The Glue Data Catalog of the lake: one database, a table per lake table of lib/lake.ts
 * (columns and types exactly as the sink writes them), and a crawler per top-level prefix.
 *
 * Tables are declared here, not discovered: partition projection on `dt` (a date) lets
 * Athena compute partition locations from the query's `dt` filter, so queries work before
 * any crawler has run and never wait for partitions to be registered.
 *
 * The crawlers keep the catalog useful for engines without projection (Spark, Redshift
 * Spectrum) and notice new data sets: they add new partitions and new tables, but only LOG
 * schema changes and deletions on existing tables, so Terraform stays the owner of the
 * schemas above. They crawl new folders only (one new `dt=` folder per day), on a schedule.
 */
import { Construct } from 'constructs';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database/index.js';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table/index.js';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler/index.js';
import { GlueSecurityConfiguration } from '@cdktf/provider-aws/lib/glue-security-configuration/index.js';
import { LAKE_TABLES, PROJECTION, dtRange, hiveType, type LakeTable, type Partitioning } from '../lib/lake.js';
import { ServiceRole } from './iam.js';
import { lakeKey, s3Uri } from './naming.js';
import { crawlerPolicy, type LakeAccess, type Scope } from './policies.js';

/** Log groups of crawlers, which Glue names itself. */
export const CRAWLER_LOG_GROUP_PREFIX = '/aws-glue/crawlers';

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
};

/**
 * Athena partition projection for the `dt=` folders of the lake's time partitioning
 * (`dt=YYYY-MM-DD`, `dt=YYYY-MM` or `dt=YYYY`: lib/lake.ts). The range starts at the
 * partition holding `startDate`, in the projection's own format. `$${dt}` is Terraform's
 * escape for a literal `${dt}`, the placeholder Athena substitutes.
 */
export function projectionParameters(tableLocation: string, startDate: string, partitioning: Partitioning = 'day'): Record<string, string> {
  const { format, unit } = PROJECTION[partitioning];
  return {
    'projection.enabled': 'true',
    'projection.dt.type': 'date',
    'projection.dt.format': format,
    'projection.dt.range': `${dtRange(partitioning, startDate, startDate).from},NOW`,
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': unit,
    'storage.location.template': `${tableLocation}dt=$\${dt}/`,
  };
}

function partitionComment(partitioning: Partitioning): string {
  const shape = { day: 'YYYY-MM-DD', month: 'YYYY-MM', year: 'YYYY' }[partitioning];
  return `event ${partitioning === 'day' ? 'date' : partitioning} (UTC), the dt= folder, ${shape}`;
}

/**
 * The crawler's table level: tables sit at `<bucket>/<prefix...>/raw/ticks`, the bucket
 * being level 1. Without it a crawler may make a table per `dt=` folder.
 */
export function crawlerTableLevel(lakePrefix: string): number {
  const prefixDepth = lakePrefix === '' ? 0 : lakePrefix.split('/').length;
  return 1 + prefixDepth + 2;
}

export function crawlerConfiguration(lakePrefix: string): string {
  return JSON.stringify({
    Version: 1.0,
    CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
    Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas', TableLevelConfiguration: crawlerTableLevel(lakePrefix) },
  });
}

export interface CatalogProps {
  readonly namePrefix: string;
  readonly databaseName: string;
  readonly lakeBucket: string;
  readonly lakePrefix: string;
  readonly lake: LakeAccess;
  readonly partitionStartDate: string;
  /** The lake's time partitioning (default day). */
  readonly partitioning?: Partitioning;
  readonly crawlerSchedule: string;
  /** Key for the crawlers' CloudWatch logs and job bookmarks. */
  readonly logsKeyArn: string;
  readonly scope: Scope;
}

export class Catalog extends Construct {
  readonly databaseName: string;
  readonly tableNames: readonly string[];
  readonly crawlerNames: readonly string[];

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const database = new GlueCatalogDatabase(this, 'database', {
      name: props.databaseName,
      description: `tickstream lake s3://${props.lakeBucket}/${props.lakePrefix}`,
    });

    const tables = LAKE_TABLES.map((table) => this.table(table, database.name, props));

    const securityConfiguration = new GlueSecurityConfiguration(this, 'security', {
      name: `${props.namePrefix}-glue`,
      encryptionConfiguration: {
        cloudwatchEncryption: { cloudwatchEncryptionMode: 'SSE-KMS', kmsKeyArn: props.logsKeyArn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: props.logsKeyArn },
        s3Encryption: { s3EncryptionMode: 'SSE-KMS', kmsKeyArn: props.lake.keyArn },
      },
    });
    const role = new ServiceRole(this, 'crawler-role', {
      name: `${props.namePrefix}-glue-crawler`,
      service: 'glue.amazonaws.com',
      scope: props.scope,
      // Glue does not send aws:SourceAccount when it assumes the role, and CreateCrawler
      // refuses a role it cannot assume ("Service is unable to assume provided role").
      sourceAccountCondition: false,
      policies: {
        'crawl-lake': crawlerPolicy(
          props.lake,
          { database: props.databaseName, logGroupPrefix: CRAWLER_LOG_GROUP_PREFIX, logsKeyArn: props.logsKeyArn },
          props.scope,
        ),
      },
    });

    const crawlers = ['raw', 'processed'].map(
      (top) =>
        new GlueCrawler(this, `crawler-${top}`, {
          name: `${props.namePrefix}-${top}`,
          description: `New dt= partitions and new tables under ${top}/`,
          role: role.arn,
          databaseName: database.name,
          schedule: props.crawlerSchedule,
          securityConfiguration: securityConfiguration.name,
          s3Target: [{ path: s3Uri(props.lakeBucket, lakeKey(props.lakePrefix, top)), exclusions: ['**/_temporary/**', '**.tmp'] }],
          schemaChangePolicy: { updateBehavior: 'LOG', deleteBehavior: 'LOG' },
          recrawlPolicy: { recrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
          configuration: crawlerConfiguration(props.lakePrefix),
          // The tables must exist first, or the first run would create its own.
          dependsOn: tables,
        }),
    );

    this.databaseName = database.name;
    this.tableNames = LAKE_TABLES.map((t) => t.name);
    this.crawlerNames = crawlers.map((c) => c.name);
  }

  private table(table: LakeTable, databaseName: string, props: CatalogProps): GlueCatalogTable {
    const location = s3Uri(props.lakeBucket, lakeKey(props.lakePrefix, table.prefix));
    return new GlueCatalogTable(this, `table-${table.name}`, {
      name: table.name,
      databaseName,
      description: `${table.prefix}: Parquet (Snappy), rows sorted by ${table.sortKeys.join(', ')}`,
      tableType: 'EXTERNAL_TABLE',
      parameters: {
        EXTERNAL: 'TRUE',
        classification: 'parquet',
        'parquet.compression': 'SNAPPY',
        ...projectionParameters(location, props.partitionStartDate, props.partitioning),
      },
      // A string, as the crawler infers it and as the named queries compare it (their
      // partition filter works under every granularity); projection still treats it as a
      // date range (projection.dt.type = date).
      partitionKeys: [{ name: table.partitionColumn, type: 'string', comment: partitionComment(props.partitioning ?? 'day') }],
      storageDescriptor: {
        location,
        inputFormat: PARQUET.inputFormat,
        outputFormat: PARQUET.outputFormat,
        serDeInfo: { name: 'parquet', serializationLibrary: PARQUET.serde, parameters: { 'serialization.format': '1' } },
        columns: table.columns.map((c) => ({ name: c.name, type: hiveType(c.type), comment: c.doc })),
      },
    });
  }
}
