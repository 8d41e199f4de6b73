/**
 * A customer-managed KMS key with yearly rotation, an alias and an explicit key policy.
 * Customer-managed rather than AWS-managed so that the key policy, not just IAM, decides
 * which services may use it, and so that it can be audited and disabled per environment.
 */
import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { Fn } from 'cdktf';
import { keyPolicy, type KeyService } from './key-policies.js';
import type { Scope } from './policies.js';

export interface EncryptionKeyProps {
  /** `alias/<aliasName>`. */
  readonly aliasName: string;
  readonly description: string;
  readonly scope: Scope;
  /** AWS services, besides IAM principals of the account, that may use the key. */
  readonly services?: readonly KeyService[];
  /** Days a scheduled deletion waits (7-30); the longest by default, deletion loses data. */
  readonly deletionWindowDays?: number;
}

export class EncryptionKey extends Construct {
  readonly arn: string;
  readonly keyId: string;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      // jsonencode, not an aws_iam_policy_document: a key policy's "Resource": "*" means
      // "this key", which scanners' checks for identity policies read as "every resource".
      // modules/policies.ts keyPolicy is unit-tested instead (root administers, services are scoped).
      policy: Fn.jsonencode(keyPolicy(props.scope, props.services ?? [])),
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.aliasName}`, targetKeyId: key.keyId });
    this.arn = key.arn;
    this.keyId = key.keyId;
  }
}
