/**
 * The stack's S3 storage: the lake bucket (raw/ticks and processed/bars_1m, lib/lake.ts),
 * the Athena results bucket, and a bucket for the others' server access logs; all
 * encrypted with the lake's own KMS key. (Ansible copies files over SSH: no transfer bucket.)
 *
 * Lifecycle (see `lakeLifecycle`): raw ticks move to STANDARD_IA after 30 days and to the
 * archive class after 90 (GLACIER_IR by default: still queryable by Athena at lower cost),
 * optionally expire; processed bars stay in STANDARD (small, read often). Versioning keeps an
 * overwritten or deleted object for an undo window (a replaying sink overwrites objects of
 * the same name; a mistaken delete is recoverable). Query results expire after days.
 */
import { Construct } from 'constructs';
import { SecureBucket, type LifecycleRule } from './bucket.js';
import { EncryptionKey } from './kms.js';
import { BUCKET_SUFFIXES, bucketName, lakeKey } from './naming.js';
import { s3LoggingKeyService } from './key-policies.js';
import { accessLogDeliveryStatement, type Scope } from './policies.js';

export interface LakeLifecycleSettings {
  readonly lakePrefix: string;
  readonly rawInfrequentAccessDays: number;
  readonly rawArchiveDays: number;
  readonly rawArchiveClass: string;
  /** 0 keeps raw objects forever. */
  readonly rawExpireDays: number;
  readonly noncurrentVersionDays: number;
}

/** Abandoned multipart uploads are invisible but billed; a week is ample for any sink retry. */
export const ABORT_MULTIPART_DAYS = 7;

export function lakeLifecycle(s: LakeLifecycleSettings): LifecycleRule[] {
  return [
    {
      id: 'all-objects',
      prefix: s.lakePrefix === '' ? '' : lakeKey(s.lakePrefix),
      noncurrentExpireDays: s.noncurrentVersionDays,
      abortMultipartDays: ABORT_MULTIPART_DAYS,
    },
    {
      id: 'raw-tiering',
      prefix: lakeKey(s.lakePrefix, 'raw'),
      transitions: [
        { days: s.rawInfrequentAccessDays, storageClass: 'STANDARD_IA' },
        { days: s.rawArchiveDays, storageClass: s.rawArchiveClass },
      ],
      ...(s.rawExpireDays > 0 ? { expireDays: s.rawExpireDays } : {}),
    },
  ];
}

export function resultsLifecycle(expireDays: number): LifecycleRule[] {
  // Versioning is on for every bucket; old result versions are worth nothing after a day.
  return [{ id: 'expire-results', prefix: '', expireDays, noncurrentExpireDays: 1, abortMultipartDays: 1 }];
}

export function accessLogLifecycle(retentionDays: number): LifecycleRule[] {
  return [{ id: 'expire-access-logs', prefix: '', expireDays: retentionDays, noncurrentExpireDays: 7, abortMultipartDays: 1 }];
}

export interface DataLakeProps extends LakeLifecycleSettings {
  readonly namePrefix: string;
  readonly bucketPrefix: string;
  readonly environment: string;
  readonly lakeBucket?: string;
  readonly resultsBucket?: string;
  readonly resultsExpireDays: number;
  readonly logRetentionDays: number;
  readonly forceDestroy: boolean;
  readonly scope: Scope;
}

export class DataLake extends Construct {
  readonly lakeBucket: string;
  readonly lakeBucketArn: string;
  readonly resultsBucket: string;
  readonly resultsBucketArn: string;
  readonly accessLogsBucket: string;
  readonly keyArn: string;
  /** Prefixes the sink writes and the crawlers read: `raw/`, `processed/` (after the lake prefix). */
  readonly prefixes: readonly string[];
  /** The sink's working state (write intents): `_sink/` after the lake prefix. */
  readonly sinkStatePrefix: string;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const name = (suffix: string): string => bucketName(props.bucketPrefix, props.environment, suffix, props.scope.accountId);

    const key = new EncryptionKey(this, 'key', {
      aliasName: `${props.namePrefix}-lake`,
      description: `${props.namePrefix}: lake, Athena results and S3 access logs`,
      scope: props.scope,
      services: [s3LoggingKeyService(props.scope)],
    });

    // Names, not references: the log bucket's policy must name its source buckets before they exist.
    const lakeName = props.lakeBucket ?? name(BUCKET_SUFFIXES.lake);
    const resultsName = props.resultsBucket ?? name(BUCKET_SUFFIXES.results);
    const arnOf = (bucket: string): string => `arn:${props.scope.partition}:s3:::${bucket}`;

    const logs = new SecureBucket(this, 'access-logs', {
      bucketName: name(BUCKET_SUFFIXES.accessLogs),
      kmsKeyArn: key.arn,
      lifecycle: accessLogLifecycle(props.logRetentionDays),
      forceDestroy: props.forceDestroy,
      policyStatements: (arn) => [
        accessLogDeliveryStatement(arn, [lakeName, resultsName].map(arnOf), props.scope),
      ],
    });

    const lake = new SecureBucket(this, 'lake', {
      bucketName: lakeName,
      kmsKeyArn: key.arn,
      lifecycle: lakeLifecycle(props),
      accessLogs: { bucket: logs.bucket, prefix: 'lake/' },
      forceDestroy: props.forceDestroy,
    });
    const results = new SecureBucket(this, 'results', {
      bucketName: resultsName,
      kmsKeyArn: key.arn,
      lifecycle: resultsLifecycle(props.resultsExpireDays),
      accessLogs: { bucket: logs.bucket, prefix: 'athena-results/' },
      // Query results are disposable in every profile.
      forceDestroy: true,
    });

    this.lakeBucket = lake.bucket;
    this.lakeBucketArn = lake.arn;
    this.resultsBucket = results.bucket;
    this.resultsBucketArn = results.arn;
    this.accessLogsBucket = logs.bucket;
    this.keyArn = key.arn;
    this.prefixes = [lakeKey(props.lakePrefix, 'raw'), lakeKey(props.lakePrefix, 'processed')];
    this.sinkStatePrefix = lakeKey(props.lakePrefix, '_sink');
  }
}
