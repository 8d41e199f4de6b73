import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../lib/config.js';
import { bucketName, LONGEST_BUCKET_SUFFIX } from '../../../modules/naming.js';
import { loadInfraConfig, PROFILE_DEFAULTS, zoneNames } from '../../../modules/settings.js';
import { TEST_SSH_KEY } from './support.js';

// Every deployable config names the admin key; the tests add one unless they test its absence.
const KEY = { TICKSTREAM_INFRA_SSH_PUBLIC_KEY: TEST_SSH_KEY };

const TMP = mkdtempSync(join(tmpdir(), 'tickstream-infra-config-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

function configFile(name: string, content: unknown): string {
  const path = join(TMP, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function problemsOf(env: Record<string, string>, file?: unknown): ConfigError['problems'] {
  const path = file === undefined ? undefined : configFile('problem.json', file);
  try {
    loadInfraConfig({ env: { ...KEY, ...env }, file: path });
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('infra settings', () => {
  it('defaults to the production layout: 3 AZs, 3 brokers, 3 ZooKeeper nodes', () => {
    const c = loadInfraConfig({ env: KEY });
    expect(c.profile).to.equal('prod');
    expect(c.environment).to.equal('prod');
    expect([c.azCount, c.brokerCount, c.metadataNodeCount]).to.deep.equal([3, 3, 3]);
    expect(c.metadataMode).to.equal('zookeeper');
    expect(c.natGatewayPerAz).to.equal(true);
    expect(c.forceDestroyBuckets).to.equal(false);
    expect(c.adminCidrs).to.deep.equal([]);
  });

  it('gives the dev profile its own defaults, each still overridable', () => {
    const dev = loadInfraConfig({ env: { ...KEY, TICKSTREAM_INFRA_PROFILE: 'dev' } });
    expect(dev.environment).to.equal('dev');
    for (const key of Object.keys(PROFILE_DEFAULTS.dev) as Array<keyof typeof PROFILE_DEFAULTS.dev>) {
      expect(dev[key], key).to.deep.equal(PROFILE_DEFAULTS.dev[key]);
    }
    const bigger = loadInfraConfig({ env: { ...KEY, TICKSTREAM_INFRA_PROFILE: 'dev', TICKSTREAM_INFRA_BROKER_COUNT: '2' } });
    expect(bigger.brokerCount).to.equal(2);
    expect(bigger.azCount).to.equal(1);
  });

  it('reads the profile and the values from the infra section of the config file', () => {
    const path = configFile('dev.json', { infra: { profile: 'dev', metadataMode: 'kraft', adminCidrs: ['10.8.0.0/16'] } });
    const c = loadInfraConfig({ env: KEY, file: path });
    expect([c.profile, c.metadataMode, c.brokerCount]).to.deep.equal(['dev', 'kraft', 1]);
    expect(c.adminCidrs).to.deep.equal(['10.8.0.0/16']);
  });

  it('names the key and the variable of a value no parser accepts', () => {
    const problems = problemsOf({ TICKSTREAM_INFRA_BROKER_COUNT: '0', TICKSTREAM_INFRA_METADATA_MODE: 'etcd' });
    expect(problems.map((p) => p.key)).to.have.members(['infra.brokerCount', 'infra.metadataMode']);
    const broker = problems.find((p) => p.key === 'infra.brokerCount')!;
    expect(broker.env).to.equal('TICKSTREAM_INFRA_BROKER_COUNT');
    expect(broker.message).to.match(/>= 1.*"0"/);
  });

  it('rejects a typo in the infra section of the file', () => {
    const problems = problemsOf({}, { infra: { brokerCuont: 3 } });
    expect(problems[0]!.key).to.equal('infra.brokerCuont');
  });

  it('refuses an even metadata quorum', () => {
    const [p] = problemsOf({ TICKSTREAM_INFRA_METADATA_NODE_COUNT: '4' });
    expect(p!.key).to.equal('infra.metadataNodeCount');
    expect(p!.env).to.equal('TICKSTREAM_INFRA_METADATA_NODE_COUNT');
    expect(p!.message).to.match(/odd/);
  });

  it('refuses admin ranges that are public, the whole internet included', () => {
    for (const cidr of ['0.0.0.0/0', '8.8.8.0/24', '10.0.0.0/7']) {
      const problems = problemsOf({ TICKSTREAM_INFRA_ADMIN_CIDRS: `10.1.0.0/16,${cidr}` });
      expect(problems.map((p) => p.key), cidr).to.deep.equal(['infra.adminCidrs']);
      expect(problems[0]!.message).to.contain(cidr);
    }
  });

  it('refuses a VPC range that is public, too large or too small for the subnets', () => {
    expect(problemsOf({ TICKSTREAM_INFRA_VPC_CIDR: '52.0.0.0/16' })[0]!.message).to.match(/private range/);
    expect(problemsOf({ TICKSTREAM_INFRA_VPC_CIDR: '10.0.0.0/8' })[0]!.message).to.match(/\/16 to \/24/);
    expect(problemsOf({ TICKSTREAM_INFRA_VPC_CIDR: '10.0.0.0/26' })[0]!.message).to.match(/\/16 to \/24/);
    expect(problemsOf({ TICKSTREAM_INFRA_VPC_CIDR: '10.0.0.1/16' })[0]!.key).to.equal('infra.vpcCidr');
  });

  it('keeps the lifecycle days in the order S3 accepts', () => {
    const archive = problemsOf({ TICKSTREAM_INFRA_RAW_ARCHIVE_DAYS: '45' });
    expect(archive[0]!.key).to.equal('infra.rawArchiveDays');
    expect(archive[0]!.message).to.match(/at least rawInfrequentAccessDays \+ 30 = 60/);
    expect(problemsOf({ TICKSTREAM_INFRA_RAW_IA_DAYS: '10' })[0]!.key).to.equal('infra.rawInfrequentAccessDays');
    const expire = problemsOf({ TICKSTREAM_INFRA_RAW_EXPIRE_DAYS: '90' });
    expect(expire[0]!.key).to.equal('infra.rawExpireDays');
    expect(() => loadInfraConfig({ env: { ...KEY, TICKSTREAM_INFRA_RAW_EXPIRE_DAYS: '91' } })).not.to.throw();
  });

  it('checks that default bucket names will fit in 63 characters', () => {
    const prefix = 'a'.repeat(30);
    const longest = bucketName(prefix, 'abcdefghijkl', LONGEST_BUCKET_SUFFIX, '123456789012');
    expect(longest.length).to.be.greaterThan(63);
    const problems = problemsOf({ TICKSTREAM_INFRA_BUCKET_PREFIX: prefix, TICKSTREAM_INFRA_ENVIRONMENT: 'abcdefghijkl' });
    expect(problems.map((p) => p.key)).to.deep.equal(['infra.bucketPrefix']);
    expect(problems[0]!.message).to.contain(`${longest.length} characters`);
    expect(() => loadInfraConfig({ env: { ...KEY, TICKSTREAM_INFRA_BUCKET_PREFIX: 'a'.repeat(20), TICKSTREAM_INFRA_ENVIRONMENT: 'abcdefghijkl' } })).not.to.throw();
    const named = loadInfraConfig({
      env: {
        ...KEY,
        TICKSTREAM_INFRA_BUCKET_PREFIX: prefix,
        TICKSTREAM_INFRA_ENVIRONMENT: 'abcdefghijkl',
        TICKSTREAM_INFRA_LAKE_BUCKET: 'my-lake',
        TICKSTREAM_INFRA_RESULTS_BUCKET: 'my-results',
      },
    });
    expect(named.lakeBucket).to.equal('my-lake');
  });

  it('refuses a calendar date that does not exist as the projection start', () => {
    expect(problemsOf({ TICKSTREAM_INFRA_PARTITION_START: '2021-02-30' })[0]!.key).to.equal('infra.partitionStartDate');
  });

  it('pins the availability zones: derived from the region, or listed one per AZ', () => {
    expect(zoneNames(loadInfraConfig({ env: { ...KEY, TICKSTREAM_INFRA_REGION: 'us-east-1' } }))).to.deep.equal(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const listed = loadInfraConfig({ env: { ...KEY, TICKSTREAM_INFRA_REGION: 'us-west-1', TICKSTREAM_INFRA_AZ_COUNT: '2', TICKSTREAM_INFRA_AZS: 'us-west-1b,us-west-1c' } });
    expect(zoneNames(listed)).to.deep.equal(['us-west-1b', 'us-west-1c']);
    const wrongCount = problemsOf({ TICKSTREAM_INFRA_AZS: 'eu-west-1a,eu-west-1b' });
    expect(wrongCount[0]!.message).to.match(/expected 3 zone names/);
    const foreign = problemsOf({ TICKSTREAM_INFRA_AZS: 'eu-west-1a,eu-west-1b,us-east-1a' });
    expect(foreign[0]!.message).to.contain('us-east-1a');
  });

  it('requires the admin SSH public key, and takes only an OpenSSH public key line', () => {
    let missing: ConfigError | undefined;
    try {
      loadInfraConfig({ env: {} });
    } catch (err) {
      missing = err as ConfigError;
    }
    expect(missing, 'a config without the key was accepted').to.be.instanceOf(ConfigError);
    expect(missing!.problems.map((p) => [p.key, p.env])).to.deep.equal([['infra.sshPublicKey', 'TICKSTREAM_INFRA_SSH_PUBLIC_KEY']]);
    expect(missing!.problems[0]!.message).to.contain('admin');
    for (const bad of ['-----BEGIN OPENSSH PRIVATE KEY-----', 'ssh-dss AAAAB3NzaC1kc3M= old', 'AAAAC3NzaC1lZDI1NTE5AAAA']) {
      expect(problemsOf({ TICKSTREAM_INFRA_SSH_PUBLIC_KEY: bad }).map((p) => p.key), bad).to.deep.equal(['infra.sshPublicKey']);
    }
    expect(loadInfraConfig({ env: KEY }).sshPublicKey).to.equal(TEST_SSH_KEY);
  });

  it('accepts a lake prefix without slashes at its ends only', () => {
    expect(loadInfraConfig({ env: { ...KEY, TICKSTREAM_INFRA_LAKE_PREFIX: 'market/v1' } }).lakePrefix).to.equal('market/v1');
    expect(problemsOf({ TICKSTREAM_INFRA_LAKE_PREFIX: '/market/' })[0]!.key).to.equal('infra.lakePrefix');
  });
});
