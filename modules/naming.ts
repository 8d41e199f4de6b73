/**
 * Names of things, in one place so that the stack, the inventory output and the docs agree.
 * Every AWS name carries the environment, so two environments can share an account.
 */

/** Suffixes of the default bucket names; the longest one bounds the name length. */
export const BUCKET_SUFFIXES = { lake: 'lake', results: 'athena-results', accessLogs: 'access-logs' } as const;
export const LONGEST_BUCKET_SUFFIX = Object.values(BUCKET_SUFFIXES).reduce((a, b) => (b.length > a.length ? b : a));

/**
 * `<prefix>-<environment>-<suffix>-<account id>`: bucket names are global across all AWS
 * accounts, so the account id makes the default unique without asking the user.
 * The account id is usually a Terraform reference resolved at plan time.
 */
export function bucketName(prefix: string, environment: string, suffix: string, accountId: string): string {
  return `${prefix}-${environment}-${suffix}-${accountId}`;
}

/** `tickstream-prod`: stack, Athena workgroup, IAM and KMS names. */
export function resourcePrefix(environment: string): string {
  return `tickstream-${environment}`;
}

/** Glue database names take letters, digits and "_" only. */
export function glueDatabaseName(environment: string): string {
  return `tickstream_${environment.replace(/-/g, '_')}`;
}

/** `s3://bucket/prefix/` with exactly one "/" between parts, ending in "/". */
export function s3Uri(bucket: string, ...keyParts: string[]): string {
  const key = keyParts.filter((p) => p.length > 0).map((p) => p.replace(/^\/+|\/+$/g, '')).join('/');
  return key.length > 0 ? `s3://${bucket}/${key}/` : `s3://${bucket}/`;
}

/** Key prefix below the bucket: `raw/` or `lake/raw/` when the lake has a prefix. */
export function lakeKey(lakePrefix: string, ...parts: string[]): string {
  return [lakePrefix, ...parts].filter((p) => p.length > 0).join('/') + '/';
}

/** AWS partition of a region, for ARNs (aws, aws-cn, aws-us-gov). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Host names: `broker-1`; also the Ansible inventory name and the DNS label. */
export function hostName(role: string, index: number): string {
  return `${role}-${index}`;
}
