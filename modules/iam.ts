/**
 * IAM roles. Two shapes cover the stack:
 *   - `ServiceRole`: an AWS service (Glue, VPC flow logs) acting for this account, with
 *     inline policies from `policies.ts`;
 *   - `InstanceRole`: an EC2 host's role and instance profile, with only the inline policies
 *     its job needs (the sink's lake prefixes; none for brokers, ZooKeeper, controllers and
 *     producers). No managed policy: hosts are reached over SSH through the EC2 Instance
 *     Connect Endpoint, not Systems Manager, and read no parameter themselves (the Ansible
 *     controller reads the secrets from Parameter Store and hands them to the services).
 * The policy documents themselves live in `policies.ts`, where they are unit-tested.
 */
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import {
  ec2Trust,
  serviceTrust,
  toDocumentStatements,
  type PolicyDocument,
  type Scope,
  type TrustPolicy,
} from './policies.js';

/**
 * A policy document as an `aws_iam_policy_document` data source (evaluated locally by
 * Terraform, no AWS call); returns its JSON for a `policy` argument.
 */
export function renderPolicy(scope: Construct, id: string, doc: PolicyDocument | TrustPolicy): string {
  return new DataAwsIamPolicyDocument(scope, id, { version: doc.Version, statement: toDocumentStatements(doc) }).json;
}

export interface RoleProps {
  readonly name: string;
  /** Inline policies by name. */
  readonly policies?: Readonly<Record<string, PolicyDocument>>;
}

class Role extends Construct {
  readonly arn: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: RoleProps, trust: TrustPolicy) {
    super(scope, id);
    const role = new IamRole(this, 'role', { name: props.name, assumeRolePolicy: renderPolicy(this, 'trust', trust) });
    for (const [name, doc] of Object.entries(props.policies ?? {})) {
      new IamRolePolicy(this, `policy-${name}`, { name, role: role.id, policy: renderPolicy(this, `${name}-document`, doc) });
    }
    this.arn = role.arn;
    this.name = role.name;
  }
}

export interface ServiceRoleProps extends RoleProps {
  /** e.g. `glue.amazonaws.com`. */
  readonly service: string;
  readonly scope: Scope;
  /**
   * Trust the service only when it acts for this account (`aws:SourceAccount`); default
   * true. Only for services that send the key when assuming the role (see `serviceTrust`).
   */
  readonly sourceAccountCondition?: boolean;
}

export class ServiceRole extends Role {
  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id, props, serviceTrust(props.service, props.scope, { sourceAccount: props.sourceAccountCondition ?? true }));
  }
}

export type InstanceRoleProps = RoleProps;

/**
 * A host's role. Hosts without a grant keep an empty role all the same, one per tier: a
 * later grant (tiered storage for brokers, say) is then one inline policy on the right role,
 * and every instance has a profile (checkov CKV2_AWS_41).
 */
export class InstanceRole extends Role {
  readonly instanceProfileName: string;

  constructor(scope: Construct, id: string, props: InstanceRoleProps) {
    super(scope, id, props, ec2Trust());
    const profile = new IamInstanceProfile(this, 'profile', { name: props.name, role: this.name });
    this.instanceProfileName = profile.name;
  }
}
