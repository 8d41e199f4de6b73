/**
 * Settings of `tickstream query` and `tickstream catalog`: where the lake is, which engine
 * answers, and where on AWS the Glue database, the Athena workgroup and the crawlers are.
 * Each has an environment variable and a key in the config file's `analytics` section;
 * flags win over both (lib/config.ts).
 */
import { enumSetting, listSetting, stringSetting, type ConfigOf } from '../lib/config.js';

export const analyticsSettings = {
  lake: stringSetting({ env: 'TICKSTREAM_LAKE', default: './lake', doc: 'lake root: a folder (DuckDB), or s3://bucket/prefix (Athena reads it through Glue)' }),
  engine: enumSetting({ env: 'TICKSTREAM_QUERY_ENGINE', values: ['duckdb', 'athena'] as const, default: 'duckdb', doc: 'SQL engine of `tickstream query`' }),
  database: stringSetting({
    env: 'TICKSTREAM_GLUE_DATABASE',
    default: 'tickstream',
    pattern: /^[a-z0-9_]{1,255}$/,
    patternDoc: 'a Glue database name (lower-case letters, digits, _)',
    doc: 'Glue database holding the lake tables (Athena resolves ticks and bars_1m there)',
  }),
  workgroup: stringSetting({ env: 'TICKSTREAM_ATHENA_WORKGROUP', default: 'tickstream', doc: 'Athena workgroup the queries run in (its result location and scan limit apply)' }),
  dataCatalog: stringSetting({ env: 'TICKSTREAM_ATHENA_CATALOG', default: 'AwsDataCatalog', doc: 'Athena data catalog' }),
  outputLocation: stringSetting({
    env: 'TICKSTREAM_ATHENA_OUTPUT',
    default: undefined,
    pattern: /^s3:\/\/[^/]+/,
    patternDoc: 'an s3:// location',
    doc: 'query result location, for a workgroup that does not enforce its own',
  }),
  crawlers: listSetting({ env: 'TICKSTREAM_GLUE_CRAWLERS', default: [], doc: 'Glue crawlers `catalog crawl --glue` starts, comma-separated' }),
  awsEndpoint: stringSetting({
    env: 'TICKSTREAM_AWS_ENDPOINT',
    default: undefined,
    pattern: /^https?:\/\//,
    patternDoc: 'an http(s):// URL',
    doc: 'endpoint of an AWS-compatible server (e.g. moto) instead of AWS; the region comes from AWS_REGION',
  }),
} as const;

export const analyticsSpec = { analytics: analyticsSettings } as const;
export type AnalyticsConfig = ConfigOf<typeof analyticsSpec>['analytics'];
