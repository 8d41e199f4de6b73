/**
 * An S3 bucket with the defaults every bucket of the stack shares, so no bucket can forget
 * one: owner-enforced object ownership (no ACLs), all four public access blocks, SSE-KMS
 * default encryption with a bucket key (fewer KMS calls, lower cost), versioning, a policy
 * that refuses plain HTTP and TLS older than 1.2, server access logs (unless this is the
 * log bucket itself), and lifecycle rules that always abort abandoned multipart uploads.
 */
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { renderPolicy } from './iam.js';
import { tlsOnlyBucketPolicy, type Statement } from './policies.js';

/** One lifecycle rule in plain terms; `toLifecycleRule` turns it into the provider's shape. */
export interface LifecycleRule {
  readonly id: string;
  /** Key prefix the rule applies to; empty for the whole bucket. */
  readonly prefix: string;
  readonly transitions?: ReadonlyArray<{ readonly days: number; readonly storageClass: string }>;
  /** Delete current versions after this many days. */
  readonly expireDays?: number;
  /** Delete overwritten or deleted versions after this many days. */
  readonly noncurrentExpireDays?: number;
  readonly abortMultipartDays?: number;
}

export function toLifecycleRule(rule: LifecycleRule): S3BucketLifecycleConfigurationRule {
  return {
    id: rule.id,
    status: 'Enabled',
    filter: [{ prefix: rule.prefix }],
    ...(rule.transitions?.length ? { transition: rule.transitions.map((t) => ({ days: t.days, storageClass: t.storageClass })) } : {}),
    ...(rule.expireDays ? { expiration: [{ days: rule.expireDays }] } : {}),
    ...(rule.noncurrentExpireDays ? { noncurrentVersionExpiration: [{ noncurrentDays: rule.noncurrentExpireDays }] } : {}),
    ...(rule.abortMultipartDays ? { abortIncompleteMultipartUpload: [{ daysAfterInitiation: rule.abortMultipartDays }] } : {}),
  };
}

export interface SecureBucketProps {
  readonly bucketName: string;
  readonly kmsKeyArn: string;
  readonly lifecycle: readonly LifecycleRule[];
  /** Where server access logs go; omitted only for the log bucket itself. */
  readonly accessLogs?: { readonly bucket: string; readonly prefix: string };
  /** Statements added to the TLS-only bucket policy. */
  readonly policyStatements?: (bucketArn: string) => readonly Statement[];
  /** Let `terraform destroy` delete a bucket that still holds objects. */
  readonly forceDestroy: boolean;
}

export class SecureBucket extends Construct {
  readonly bucket: string;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const bucket = new S3Bucket(this, 'bucket', { bucket: props.bucketName, forceDestroy: props.forceDestroy });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn },
          bucketKeyEnabled: true,
        },
      ],
    });
    const versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketPolicy(this, 'policy', {
      bucket: bucket.id,
      policy: renderPolicy(this, 'policy-document', tlsOnlyBucketPolicy(bucket.arn, props.policyStatements?.(bucket.arn) ?? [])),
    });
    if (props.accessLogs) {
      new S3BucketLoggingA(this, 'access-logs', {
        bucket: bucket.id,
        targetBucket: props.accessLogs.bucket,
        targetPrefix: props.accessLogs.prefix,
        targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
      });
    }
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: bucket.id,
      rule: props.lifecycle.map(toLifecycleRule),
      // Rules on noncurrent versions need versioning in place first.
      dependsOn: [versioning],
    });
    this.bucket = bucket.bucket;
    this.arn = bucket.arn;
  }
}
