/**
 * IAM and resource policy documents, as plain data built from ARNs and names. Pure, so the
 * unit tests read them with real-looking ARNs; the constructs pass Terraform references
 * instead and render them with `renderPolicy` (iam.ts).
 *
 * The rules they follow: every statement names its resources (no "*" resource with a
 * write action, never the "*" action), S3 access is cut to key prefixes, KMS use is tied to
 * the service that needs it (`kms:ViaService`), and trust policies are pinned to this
 * account (`aws:SourceAccount`) where the service sets that key when it assumes the role,
 * so another account's service cannot assume our roles.
 */

export interface Statement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  /** Values are strings, as IAM compares them (`"false"`, not `false`). */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Statement[];
}

/** Assume-role statements name no Resource. */
export interface TrustPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: ReadonlyArray<Omit<Statement, 'Resource'> & { readonly Action: 'sts:AssumeRole' }>;
}

export function policy(...statements: Statement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * A statement in the shape of Terraform's `aws_iam_policy_document` data source, which
 * renders the JSON at plan time. Policies go through it rather than a JSON string so that
 * `cdktf synth --hcl` writes them as HCL blocks (cdktf cannot render a JSON string holding
 * Terraform references as HCL) and scanners read them as structured documents.
 */
export interface DocumentStatement {
  sid: string;
  effect: string;
  actions: string[];
  resources?: string[];
  principals?: Array<{ type: string; identifiers: string[] }>;
  condition?: Array<{ test: string; variable: string; values: string[] }>;
}

const asList = (v: string | readonly string[]): string[] => (typeof v === 'string' ? [v] : [...v]);

export function toDocumentStatements(doc: PolicyDocument | TrustPolicy): DocumentStatement[] {
  return doc.Statement.map((s) => {
    const out: DocumentStatement = { sid: s.Sid, effect: s.Effect, actions: asList(s.Action) };
    if ('Resource' in s && s.Resource !== undefined) out.resources = asList(s.Resource);
    if (s.Principal !== undefined) {
      out.principals =
        s.Principal === '*'
          ? [{ type: '*', identifiers: ['*'] }]
          : Object.entries(s.Principal).map(([type, ids]) => ({ type, identifiers: asList(ids) }));
    }
    if (s.Condition !== undefined) {
      out.condition = Object.entries(s.Condition).flatMap(([test, byKey]) =>
        Object.entries(byKey).map(([variable, v]) => ({ variable, test, values: asList(v) })),
      );
    }
    return out;
  });
}

/** The IAM JSON form back from a document's statements (the inverse, for tests and audits). */
export function fromDocumentStatements(statements: readonly DocumentStatement[]): { Statement: Statement[] } {
  return {
    Statement: statements.map((s) => {
      const principals = s.principals ?? [];
      const principal =
        principals.length === 1 && principals[0]!.type === '*'
          ? ('*' as const)
          : principals.length > 0
            ? Object.fromEntries(principals.map((p) => [p.type, p.identifiers.length === 1 ? p.identifiers[0]! : p.identifiers]))
            : undefined;
      const condition: Record<string, Record<string, string | string[]>> = {};
      for (const c of s.condition ?? []) (condition[c.test] ??= {})[c.variable] = c.values.length === 1 ? c.values[0]! : c.values;
      return {
        Sid: s.sid,
        Effect: s.effect as Statement['Effect'],
        Action: s.actions.length === 1 ? s.actions[0]! : s.actions,
        Resource: s.resources === undefined ? [] : s.resources.length === 1 ? s.resources[0]! : s.resources,
        ...(principal !== undefined ? { Principal: principal } : {}),
        ...(s.condition !== undefined ? { Condition: condition } : {}),
      };
    }),
  };
}

/** The account and region every ARN below is built from. */
export interface Scope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

// ---------------------------------------------------------------------------------------
// Trust policies

/** EC2 instances of this account may take the role (through an instance profile). */
export function ec2Trust(): TrustPolicy {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Ec2AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
}

/**
 * An AWS service may take the role; with `sourceAccount`, only when acting for this account
 * (the confused-deputy guard). Only services that send `aws:SourceAccount` with their
 * AssumeRole call can take it: a condition on a key that is absent is false, so the role
 * becomes unusable. VPC flow logs documents the key; Glue does not (its CreateCrawler
 * checks that it can assume the role and fails with "Service is unable to assume provided
 * role"), so the crawler role is trusted without it (catalog.ts).
 */
export function serviceTrust(service: string, scope: Scope, options: { sourceAccount: boolean } = { sourceAccount: true }): TrustPolicy {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ServiceAssumeRole',
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(options.sourceAccount ? { Condition: { StringEquals: { 'aws:SourceAccount': scope.accountId } } } : {}),
      },
    ],
  };
}

/**
 * The S3 gateway endpoint: which S3 requests may leave the VPC through it. Every S3 request
 * of the region from the private subnets takes this route (there is no fallback to NAT), so
 * this is the whole of S3 the hosts can reach: the given buckets, by principals of this
 * account. The hosts need no other bucket: Debian's packages come from Debian's mirror over
 * HTTPS, the Kafka jars and the service release are pushed from the Ansible controller over
 * SSH. The roles' own policies still decide what each host may do in those buckets.
 */
export function s3EndpointPolicy(bucketArns: readonly string[], scope: Scope): PolicyDocument {
  return policy({
    Sid: 'OwnBucketsOnly',
    Effect: 'Allow',
    Principal: '*',
    Action: [
      's3:ListBucket',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:PutObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
      's3:ListMultipartUploadParts',
    ],
    Resource: bucketArns.flatMap((arn) => [arn, `${arn}/*`]),
    Condition: { StringEquals: { 'aws:PrincipalAccount': scope.accountId } },
  });
}

// ---------------------------------------------------------------------------------------
// S3 building blocks

/** ListBucket on the bucket, only for listings below the given prefixes (`raw/` -> `raw/`, `raw/*`). */
function listPrefixes(sid: string, bucketArn: string, prefixes: readonly string[]): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: bucketArn,
    Condition: { StringLike: { 's3:prefix': prefixes.flatMap((p) => [p, `${p}*`]) } },
  };
}

/** ARNs of the objects below the given prefixes. */
function objectsUnder(bucketArn: string, prefixes: readonly string[]): string[] {
  return prefixes.map((p) => `${bucketArn}/${p}*`);
}

function kmsViaS3(sid: string, keyArn: string, actions: readonly string[], scope: Scope): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: actions,
    Resource: keyArn,
    Condition: { StringEquals: { 'kms:ViaService': `s3.${scope.region}.amazonaws.com` } },
  };
}

export interface LakeAccess {
  readonly bucketArn: string;
  readonly keyArn: string;
  /** Key prefixes ending in "/", e.g. `raw/`, `processed/` (with the lake prefix in front). */
  readonly prefixes: readonly string[];
  /**
   * The sink's own working state, `_sink/` (its write intents, see consumer/recovery.ts).
   * Only the sink gets it; crawlers and readers never look there.
   */
  readonly statePrefix?: string;
}

/**
 * The sink: writes, reads back, lists and deletes under its own prefixes, nothing else.
 * Delete is needed by its exactly-once recovery: objects of a batch whose offsets were
 * never committed are removed before the batch is re-read, and a batch's intent file is
 * removed once its offsets are committed. Versioning keeps every deleted object for the
 * noncurrent-version retention, so a wrong delete can be undone.
 */
export function sinkPolicy(lake: LakeAccess, scope: Scope): PolicyDocument {
  const own = [...lake.prefixes, ...(lake.statePrefix ? [lake.statePrefix] : [])];
  return policy(
    listPrefixes('ListOwnPrefixes', lake.bucketArn, own),
    {
      Sid: 'ReadWriteOwnPrefixes',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: objectsUnder(lake.bucketArn, own),
    },
    kmsViaS3('EncryptLakeObjects', lake.keyArn, ['kms:GenerateDataKey', 'kms:Decrypt'], scope),
  );
}

export interface CatalogAccess {
  readonly database: string;
  /** Log group name prefix the crawler writes to. */
  readonly logGroupPrefix: string;
  /** Key that encrypts the crawler's CloudWatch logs (Glue security configuration). */
  readonly logsKeyArn: string;
}

/** The Glue crawlers: read the lake prefixes, maintain tables and partitions of one database. */
export function crawlerPolicy(lake: LakeAccess, catalog: CatalogAccess, scope: Scope): PolicyDocument {
  const glue = (resource: string): string => `arn:${scope.partition}:glue:${scope.region}:${scope.accountId}:${resource}`;
  const logGroup = `arn:${scope.partition}:logs:${scope.region}:${scope.accountId}:log-group:${catalog.logGroupPrefix}`;
  return policy(
    listPrefixes('ListLakePrefixes', lake.bucketArn, lake.prefixes),
    { Sid: 'ReadLakeObjects', Effect: 'Allow', Action: 's3:GetObject', Resource: objectsUnder(lake.bucketArn, lake.prefixes) },
    kmsViaS3('DecryptLakeObjects', lake.keyArn, ['kms:Decrypt'], scope),
    {
      Sid: 'MaintainCatalog',
      Effect: 'Allow',
      Action: [
        'glue:GetDatabase',
        'glue:GetTable',
        'glue:GetTables',
        'glue:CreateTable',
        'glue:UpdateTable',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:BatchGetPartition',
        'glue:CreatePartition',
        'glue:BatchCreatePartition',
        'glue:UpdatePartition',
        'glue:BatchUpdatePartition',
      ],
      Resource: [glue('catalog'), glue(`database/${catalog.database}`), glue(`table/${catalog.database}/*`)],
    },
    {
      Sid: 'WriteCrawlerLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      Resource: [`${logGroup}*`, `${logGroup}*:log-stream:*`],
    },
    {
      Sid: 'EncryptCrawlerLogs',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt'],
      Resource: catalog.logsKeyArn,
    },
  );
}

/** VPC flow logs delivering to one CloudWatch log group. */
export function flowLogsPolicy(logGroupArn: string): PolicyDocument {
  return policy({
    Sid: 'DeliverFlowLogs',
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
    Resource: [logGroupArn, `${logGroupArn}:*`],
  });
}

/** Bucket policy: refuse any request that does not arrive over TLS (1.2 or later). */
export function tlsOnlyBucketPolicy(bucketArn: string, extra: readonly Statement[] = []): PolicyDocument {
  return policy(
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'DenyOldTls',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
    },
    ...extra,
  );
}

/** Lets S3 server access logging write into the log bucket, for our source buckets only. */
export function accessLogDeliveryStatement(logBucketArn: string, sourceBucketArns: readonly string[], scope: Scope): Statement {
  return {
    Sid: 'AllowS3ServerAccessLogs',
    Effect: 'Allow',
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Action: 's3:PutObject',
    Resource: `${logBucketArn}/*`,
    Condition: {
      ArnLike: { 'aws:SourceArn': sourceBucketArns },
      StringEquals: { 'aws:SourceAccount': scope.accountId },
    },
  };
}

// ---------------------------------------------------------------------------------------
// Checks the tests (and a careful reader) apply to any document

/** Statements that allow the "*" action, or a write-capable action on the "*" resource. */
export function overlyBroadStatements(doc: { Statement: readonly unknown[] }): string[] {
  const findings: string[] = [];
  for (const raw of doc.Statement) {
    const s = raw as Partial<Statement> & { NotAction?: unknown };
    if (s.Effect !== 'Allow') continue;
    const actions = ([] as string[]).concat((s.Action as string | string[] | undefined) ?? []);
    const resources = ([] as string[]).concat((s.Resource as string | string[] | undefined) ?? []);
    const label = s.Sid ?? '(no Sid)';
    if (s.NotAction !== undefined) findings.push(`${label}: NotAction in an Allow`);
    if (actions.includes('*')) findings.push(`${label}: Action "*"`);
    if (resources.includes('*') && actions.some((a) => a.endsWith(':*')) && !isKeyAdministration(s)) {
      findings.push(`${label}: a service wildcard action on Resource "*"`);
    }
  }
  return findings;
}

/** The one documented exception: the account root administering a key in its key policy. */
function isKeyAdministration(s: Partial<Statement>): boolean {
  const principal = s.Principal;
  return (
    s.Action === 'kms:*' &&
    typeof principal === 'object' &&
    typeof principal.AWS === 'string' &&
    /^arn:[a-z-]+:iam::[^:]+:root$/.test(principal.AWS)
  );
}
