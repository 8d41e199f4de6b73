/**
 * The real CLI, as a user runs it from a fresh clone: `npx cdktf synth` (Terraform JSON) and
 * `npx cdktf synth --hcl` (plain Terraform, the way off CDKTF), with no terraform binary on
 * PATH and no provider download (the prebuilt @cdktf/provider-aws bindings are used).
 * The HCL is parsed back with HashiCorp's HCL parser (@cdktf/hcl2json, WebAssembly) and must
 * declare the same resources, data sources and outputs as the JSON.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { TEST_SSH_KEY } from '../../unit/infra/support.js';

const ROOT = process.cwd();

/** PATH without any folder that holds a terraform binary: synth must not need one. */
function pathWithoutTerraform(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !existsSync(join(dir, 'terraform')))
    .join(delimiter);
}

function cdktf(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('npx', ['--no-install', 'cdktf', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    env: {
      ...process.env,
      PATH: pathWithoutTerraform(),
      CHECKPOINT_DISABLE: '1', // no version check or telemetry call to HashiCorp
      CI: '1', // no spinner
      // Required setting: the admin user's public key (a test key nobody holds).
      TICKSTREAM_INFRA_SSH_PUBLIC_KEY: TEST_SSH_KEY,
      ...env,
    },
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

type Blocks = Record<string, Record<string, unknown>>;

/** `type.name` of every block of a kind (resource, data) in Terraform JSON or parsed HCL. */
function addresses(blocks: Blocks | undefined): string[] {
  return Object.entries(blocks ?? {})
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

describe('infra: cdktf CLI', function () {
  this.timeout(300_000);
  let out: string;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'tickstream-cdktf-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('synthesizes the default stack with `npx cdktf synth`, registering every analytics query', () => {
    const run = cdktf(['synth', '--output', join(out, 'json')]);
    expect(run.status, run.stderr + run.stdout).to.equal(0);
    const file = join(out, 'json', 'stacks', 'tickstream-prod', 'cdk.tf.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { resource: Blocks; output: Record<string, unknown> };
    expect(Object.keys(json.resource.aws_instance ?? {})).to.have.length(3 + 3 + 1 + 1);
    const queriesDir = join(ROOT, 'analytics', 'queries');
    const files = existsSync(queriesDir) ? readdirSync(queriesDir).filter((f) => f.endsWith('.sql')) : [];
    const named = Object.values(json.resource.aws_athena_named_query ?? {}) as Array<{ name: string }>;
    expect(named.map((q) => q.name).sort()).to.deep.equal(files.map((f) => f.replace(/\.sql$/, '')).sort());
    expect(json.output).to.have.property('inventory');
  });

  it('writes plain Terraform with `--hcl` that declares what the JSON declares', async () => {
    const run = cdktf(['synth', '--hcl', '--output', join(out, 'hcl')]);
    expect(run.status, run.stderr + run.stdout).to.equal(0);
    const hclText = readFileSync(join(out, 'hcl', 'stacks', 'tickstream-prod', 'cdk.tf'), 'utf8');
    expect(hclText).to.not.match(/TfToken|\$\{TOKEN/);
    expect(hclText).to.match(/^resource "aws_instance" "/m);

    // HashiCorp's parser: a syntax error anywhere fails here with its line and column.
    const hcl = (await parseHcl('cdk.tf', hclText)) as { resource: Blocks; data: Blocks; output: Blocks };
    // The JSON of the same configuration, from the previous test.
    const json = JSON.parse(readFileSync(join(out, 'json', 'stacks', 'tickstream-prod', 'cdk.tf.json'), 'utf8')) as { resource: Blocks; data: Blocks; output: Blocks };
    expect(addresses(hcl.resource)).to.deep.equal(addresses(json.resource));
    expect(addresses(hcl.data)).to.deep.equal(addresses(json.data));
    expect(Object.keys(hcl.output).sort()).to.deep.equal(Object.keys(json.output).sort());
    expect(addresses(hcl.resource).length).to.be.greaterThan(100);
  });

  it('stops with the key and variable of a bad setting, and writes nothing', () => {
    const run = cdktf(['synth', '--output', join(out, 'bad')], { TICKSTREAM_INFRA_METADATA_NODE_COUNT: '2' });
    expect(run.status).to.not.equal(0);
    expect(run.stderr + run.stdout).to.contain('infra.metadataNodeCount (TICKSTREAM_INFRA_METADATA_NODE_COUNT)');
    expect(existsSync(join(out, 'bad', 'stacks'))).to.equal(false);
  });

  it('refuses to synthesize without the admin SSH public key, naming the setting', () => {
    const run = cdktf(['synth', '--output', join(out, 'nokey')], { TICKSTREAM_INFRA_SSH_PUBLIC_KEY: '' });
    expect(run.status).to.not.equal(0);
    expect(run.stderr + run.stdout).to.contain('infra.sshPublicKey (TICKSTREAM_INFRA_SSH_PUBLIC_KEY)');
    expect(existsSync(join(out, 'nokey', 'stacks'))).to.equal(false);
  });
});
