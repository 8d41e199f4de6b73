/**
 * Synthesizing the stack in-process for tests (cdktf's `Testing` helpers, no CLI) and
 * reading the result: resources by type, policy documents, security group rules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { readNamedQueries, type NamedQuery } from '../../../modules/analytics.js';
import { fromDocumentStatements, type DocumentStatement, type Statement } from '../../../modules/policies.js';
import { loadInfraConfig, type InfraConfig } from '../../../modules/settings.js';
import { stackName, TickstreamStack } from '../../../modules/stack.js';

export const FIXTURE_QUERIES = join(import.meta.dirname, 'fixtures', 'queries');

/** The four layouts every structural test and the checkov scan cover. */
export const LAYOUTS = [
  { profile: 'prod', mode: 'zookeeper' },
  { profile: 'prod', mode: 'kraft' },
  { profile: 'dev', mode: 'zookeeper' },
  { profile: 'dev', mode: 'kraft' },
] as const;

export type Layout = (typeof LAYOUTS)[number];

export function layoutName(layout: Layout): string {
  return `${layout.profile}-${layout.mode}`;
}

/** A syntactically valid public key (its body is not a real key; nobody can log in with it). */
export const TEST_SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRpY2tzdHJlYW0tdGVzdC1rZXktbm90LWEtc2VjcmV0 test@tickstream';

export function configFor(layout: Layout, env: Record<string, string> = {}): InfraConfig {
  return loadInfraConfig({
    env: { TICKSTREAM_INFRA_PROFILE: layout.profile, TICKSTREAM_INFRA_METADATA_MODE: layout.mode, TICKSTREAM_INFRA_SSH_PUBLIC_KEY: TEST_SSH_KEY, ...env },
  });
}

export interface Synthesized {
  readonly config: InfraConfig;
  /** Terraform JSON as cdktf writes it (keys sorted, metadata removed). */
  readonly text: string;
  readonly json: TerraformJson;
}

export interface TerraformJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown; description?: string }>;
  readonly terraform: Record<string, unknown>;
  readonly provider: Record<string, unknown[]>;
}

export function synth(config: InfraConfig, queries: readonly NamedQuery[] = readNamedQueries(FIXTURE_QUERIES)): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'tickstream-infra-'));
  try {
    const app = Testing.app({ outdir });
    const stack = new TickstreamStack(app, stackName(config.environment), { config, queries });
    const text = Testing.synth(stack);
    return { config, text, json: JSON.parse(text) as TerraformJson };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const cache = new Map<string, Synthesized>();

/** Synthesizes each layout once per test run (about a second each). */
export function synthLayout(layout: Layout): Synthesized {
  const key = layoutName(layout);
  let s = cache.get(key);
  if (!s) {
    s = synth(configFor(layout));
    cache.set(key, s);
  }
  return s;
}

/** Resources of one type, as `[logicalName, config]`. */
export function resources(json: TerraformJson, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(json.resource[type] ?? {});
}

export function resourceConfigs(json: TerraformJson, type: string): Array<Record<string, unknown>> {
  return resources(json, type).map(([, r]) => r);
}

/**
 * The policy a `policy` argument holds, as IAM JSON: a reference to an
 * `aws_iam_policy_document` data source, or (key policies) `${jsonencode({...})}` of an
 * object whose HCL `"key" = value` pairs are JSON once `=` becomes `:` and bare references
 * are quoted.
 */
export function documentOf(json: TerraformJson, ref: unknown): { Statement: Statement[] } {
  const encoded = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(String(ref))?.[1];
  if (encoded !== undefined) {
    const asJson = encoded
      .replace(/" = /g, '": ')
      // A value that is only a reference is written bare: data.aws_caller_identity.x.account_id
      .replace(/(": |\[|, )((?:data\.)?aws_[A-Za-z0-9_.-]+)/g, '$1"$${$2}"');
    return JSON.parse(asJson) as { Statement: Statement[] };
  }
  const name = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(ref))?.[1];
  const data = name === undefined ? undefined : json.data?.aws_iam_policy_document?.[name];
  if (!data) throw new Error(`not a reference to a policy document: ${String(ref)}`);
  return fromDocumentStatements(data.statement as DocumentStatement[]);
}

/** Every policy of the stack (role, trust, bucket and key policies) with where it is used. */
export function policyDocuments(json: TerraformJson): Array<{ where: string; doc: { Statement: Statement[] } }> {
  const fields: Array<[string, string]> = [
    ['aws_iam_role', 'assume_role_policy'],
    ['aws_iam_role_policy', 'policy'],
    ['aws_s3_bucket_policy', 'policy'],
    ['aws_kms_key', 'policy'],
    ['aws_vpc_endpoint', 'policy'],
  ];
  return fields.flatMap(([type, field]) =>
    resources(json, type).map(([name, r]) => ({ where: `${type}.${name}`, doc: documentOf(json, r[field]) })),
  );
}

/** `${aws_s3_bucket.lake_bucket_666EA5BD.arn}` -> the name of the resource it references. */
export function referencedName(ref: string, type: string): string | null {
  return new RegExp(`\\$\\{${type}\\.([A-Za-z0-9_-]+)\\.`).exec(ref)?.[1] ?? null;
}
