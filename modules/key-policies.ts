/**
 * KMS key policies, as plain data like the other documents (policies.ts): the account
 * administers a key through IAM, and named services may use it, each only for this account.
 */
import { policy, type PolicyDocument, type Scope, type Statement } from './policies.js';

/**
 * The account administers the key through IAM (AWS's default key statement, without which a
 * key can become unmanageable); named services may use it, each only for this account.
 * In a key policy "Resource": "*" means "this key".
 */
export function keyPolicy(scope: Scope, services: readonly KeyService[]): PolicyDocument {
  return policy(
    {
      Sid: 'AccountAdministersKeyThroughIam',
      Effect: 'Allow',
      Principal: { AWS: `arn:${scope.partition}:iam::${scope.accountId}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    ...services.map((s): Statement => ({
      Sid: s.sid,
      Effect: 'Allow',
      Principal: { Service: s.service },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
      Condition: s.condition,
    })),
  );
}

export interface KeyService {
  readonly sid: string;
  readonly service: string;
  readonly condition: NonNullable<Statement['Condition']>;
}

/** CloudWatch Logs may encrypt log groups of this account whose names start with a prefix. */
export function logsKeyService(scope: Scope, logGroupPrefixes: readonly string[]): KeyService {
  return {
    sid: 'CloudWatchLogsEncryptsLogGroups',
    service: `logs.${scope.region}.amazonaws.com`,
    condition: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': logGroupPrefixes.map(
          (p) => `arn:${scope.partition}:logs:${scope.region}:${scope.accountId}:log-group:${p}*`,
        ),
      },
    },
  };
}

/** S3 server access logging writes SSE-KMS log objects for this account's buckets. */
export function s3LoggingKeyService(scope: Scope): KeyService {
  return {
    sid: 'S3ServerAccessLoggingEncryptsLogs',
    service: 'logging.s3.amazonaws.com',
    condition: { StringEquals: { 'aws:SourceAccount': scope.accountId } },
  };
}
