/**
 * Athena: a workgroup whose settings clients cannot override (results go to the results
 * bucket, encrypted with the lake key; a query scanning more than the cap is cancelled;
 * metrics go to CloudWatch), and the project's named queries registered in it.
 *
 * Named queries come from every `analytics/queries/*.sql` file present at synth time, so a
 * query added there reaches Athena on the next deploy. A file's first `--` comment line is
 * its description.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Construct } from 'constructs';
import { AthenaNamedQuery } from '@cdktf/provider-aws/lib/athena-named-query/index.js';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup/index.js';
import { s3Uri } from './naming.js';

/** Athena's limits on a named query. */
const MAX_DESCRIPTION = 1024;
const MAX_QUERY = 262_144;

export interface NamedQuery {
  /** File name without `.sql`. */
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** One `.sql` file as a named query; the description is the first `--` line's text. */
export function parseNamedQuery(fileName: string, text: string): NamedQuery {
  const name = basename(fileName, '.sql');
  const sql = text.trim();
  if (sql.length === 0) throw new Error(`${fileName}: empty query file`);
  if (sql.length > MAX_QUERY) throw new Error(`${fileName}: ${sql.length} characters, Athena allows ${MAX_QUERY}`);
  const firstComment = /^\s*--(.*)$/m.exec(sql.split('\n').find((line) => line.trim() !== '') ?? '');
  const described = firstComment?.[1]?.trim() ?? '';
  const description = (described === '' ? `tickstream query ${name}` : described).slice(0, MAX_DESCRIPTION);
  return { name, description, sql };
}

/** Every `*.sql` file of a folder, sorted by name; none (or no folder) gives an empty list. */
export function readNamedQueries(dir: string): NamedQuery[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseNamedQuery(f, readFileSync(join(dir, f), 'utf8')));
}

/** Construct ids and Terraform names take letters, digits, "-" and "_". */
function queryId(name: string): string {
  return `query-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const GIB = 1024 ** 3;

export interface AnalyticsProps {
  readonly workgroupName: string;
  readonly databaseName: string;
  readonly resultsBucket: string;
  readonly resultsKeyArn: string;
  readonly scanLimitGiB: number;
  readonly queries: readonly NamedQuery[];
}

export class Analytics extends Construct {
  readonly workgroupName: string;
  readonly queryNames: readonly string[];

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: props.workgroupName,
      description: 'tickstream lake queries',
      state: 'ENABLED',
      // Deleting the workgroup also drops its query history and named queries.
      forceDestroy: true,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.scanLimitGiB * GIB,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: s3Uri(props.resultsBucket, 'results'),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: props.resultsKeyArn },
        },
      },
    });
    for (const q of props.queries) {
      new AthenaNamedQuery(this, queryId(q.name), {
        name: q.name,
        description: q.description,
        database: props.databaseName,
        workgroup: workgroup.name,
        query: escapeTemplate(q.sql),
      });
    }
    this.workgroupName = workgroup.name;
    this.queryNames = props.queries.map((q) => q.name);
  }
}

/** SQL is text, not a Terraform template: `${` and `%{` must not be interpolated. */
export function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}
