/**
 * Settings of the AWS deployment (`main.ts`): the `infra` section of the config file, or
 * `TICKSTREAM_INFRA_*` environment variables, on top of a profile's defaults.
 *
 *   prod (default)  3 AZs, 3 brokers, 3 ZooKeeper nodes (or KRaft controllers), a NAT
 *                   gateway per AZ: survives the loss of one availability zone.
 *   dev             1 AZ, 1 broker, 1 metadata node, small burstable instances, buckets
 *                   that `cdktf destroy` may empty: the smallest layout that runs the pipeline.
 *
 * A profile only changes defaults; every key can still be set. Values are checked one by
 * one by `lib/config.ts` and then together by `checkInfraConfig` (quorum sizes, lifecycle
 * day ordering, CIDR room), so a bad value stops synth with a `ConfigError` naming the key
 * and its environment variable, before any resource is built.
 */
import {
  ConfigError,
  boolSetting,
  enumSetting,
  intSetting,
  listSetting,
  loadConfig,
  stringSetting,
  type ConfigOf,
  type ConfigProblem,
  type LoadOptions,
  type Setting,
} from '../lib/config.js';
import { METADATA_MODES } from '../lib/kafka.js';
import { DEFAULT_PARTITIONING, PARTITIONINGS } from '../lib/lake.js';
import { isNonPublicCidr, parseCidr, PRIVATE_SUBNET_BITS, MAX_AZS } from './cidr.js';
import { bucketName, LONGEST_BUCKET_SUFFIX } from './naming.js';

export const PROFILES = ['prod', 'dev'] as const;
export type Profile = (typeof PROFILES)[number];

export const ARCHIVE_CLASSES = ['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;

/** The values a profile picks; anything not listed here has one default for all profiles. */
interface ProfileDefaults {
  environment: string;
  azCount: number;
  natGatewayPerAz: boolean;
  brokerCount: number;
  brokerInstanceType: string;
  brokerVolumeGiB: number;
  metadataNodeCount: number;
  metadataInstanceType: string;
  appInstanceType: string;
  rawExpireDays: number;
  resultsExpireDays: number;
  athenaScanLimitGiB: number;
  forceDestroyBuckets: boolean;
}

export const PROFILE_DEFAULTS: Readonly<Record<Profile, ProfileDefaults>> = {
  prod: {
    environment: 'prod',
    azCount: 3,
    natGatewayPerAz: true,
    brokerCount: 3,
    brokerInstanceType: 'm7i.large',
    brokerVolumeGiB: 500,
    metadataNodeCount: 3,
    metadataInstanceType: 't3.medium',
    appInstanceType: 't3.medium',
    rawExpireDays: 0,
    resultsExpireDays: 30,
    athenaScanLimitGiB: 100,
    forceDestroyBuckets: false,
  },
  dev: {
    environment: 'dev',
    azCount: 1,
    natGatewayPerAz: false,
    brokerCount: 1,
    // Kafka with a 1 GiB heap plus page cache needs 4 GiB; ZooKeeper and the services fit in 2.
    brokerInstanceType: 't3.medium',
    brokerVolumeGiB: 20,
    metadataNodeCount: 1,
    metadataInstanceType: 't3.small',
    appInstanceType: 't3.small',
    rawExpireDays: 365,
    resultsExpireDays: 7,
    athenaScanLimitGiB: 10,
    forceDestroyBuckets: true,
  },
};

const INSTANCE_TYPE = { pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, patternDoc: 'an EC2 instance type such as m7i.large' };
const DAYS = { min: 0, max: 36_500 };
/** An OpenSSH public key line of a type EC2 key pairs accept (ed25519, RSA, ECDSA). */
const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;
/**
 * First day of the partition projection range by default: the Kaggle index data, the
 * oldest history the producer replays, starts on 1965-12-31; the bundled sample and live
 * or simulated feeds are later. Athena enumerates every day of the range for a query
 * without a `dt` filter, so a start decades before the data only costs time.
 */
export const DEFAULT_PARTITION_START = '1965-01-01';

/** The `infra` section with the defaults of one profile. */
export function infraSettings(profile: Profile) {
  const d = PROFILE_DEFAULTS[profile];
  return {
    profile: enumSetting({
      env: 'TICKSTREAM_INFRA_PROFILE',
      values: PROFILES,
      default: profile,
      doc: 'prod (3 AZs, 3 brokers, 3 metadata nodes) or dev (the smallest layout); sets the other defaults',
    }),
    environment: stringSetting({
      env: 'TICKSTREAM_INFRA_ENVIRONMENT',
      default: d.environment,
      pattern: /^[a-z][a-z0-9-]{0,11}$/,
      patternDoc: 'a lower-case name of at most 12 letters, digits or "-", starting with a letter',
      doc: 'environment name; part of every resource name and of the stack name tickstream-<environment>',
    }),
    region: stringSetting({
      env: 'TICKSTREAM_INFRA_REGION',
      default: 'eu-west-1',
      pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/,
      patternDoc: 'an AWS region such as eu-west-1',
      doc: 'AWS region',
    }),
    azCount: intSetting({ env: 'TICKSTREAM_INFRA_AZ_COUNT', default: d.azCount, min: 1, max: MAX_AZS, doc: 'availability zones to spread subnets and hosts over' }),
    availabilityZones: listSetting({
      env: 'TICKSTREAM_INFRA_AZS',
      default: [],
      itemPattern: /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/,
      doc: 'AZ names, one per azCount (default <region>a, <region>b, ...); pinned so that an AZ added or impaired in the region never renumbers the subnets',
    }),
    vpcCidr: stringSetting({
      env: 'TICKSTREAM_INFRA_VPC_CIDR',
      default: '10.40.0.0/16',
      pattern: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
      patternDoc: 'an IPv4 CIDR such as 10.40.0.0/16',
      doc: 'VPC address range (a private range, /16 to /24); subnets are carved from it',
    }),
    natGatewayPerAz: boolSetting({
      env: 'TICKSTREAM_INFRA_NAT_PER_AZ',
      default: d.natGatewayPerAz,
      doc: 'one NAT gateway per AZ (survives an AZ outage) instead of one shared',
    }),
    metadataMode: enumSetting({
      env: 'TICKSTREAM_INFRA_METADATA_MODE',
      values: METADATA_MODES,
      default: 'zookeeper',
      doc: 'zookeeper (Kafka 3.9 + a ZooKeeper ensemble) or kraft (Kafka 4 + KRaft controllers)',
    }),
    brokerCount: intSetting({ env: 'TICKSTREAM_INFRA_BROKER_COUNT', default: d.brokerCount, min: 1, max: 30, doc: 'Kafka brokers' }),
    brokerInstanceType: stringSetting({ env: 'TICKSTREAM_INFRA_BROKER_INSTANCE_TYPE', default: d.brokerInstanceType, ...INSTANCE_TYPE, doc: 'EC2 type of the brokers' }),
    brokerVolumeGiB: intSetting({
      env: 'TICKSTREAM_INFRA_BROKER_VOLUME_GIB',
      default: d.brokerVolumeGiB,
      min: 10,
      max: 16_384,
      doc: 'size of the gp3 data volume (log.dirs) of each broker, GiB',
    }),
    metadataNodeCount: intSetting({
      env: 'TICKSTREAM_INFRA_METADATA_NODE_COUNT',
      default: d.metadataNodeCount,
      min: 1,
      max: 9,
      doc: 'ZooKeeper nodes or KRaft controllers (odd: a quorum is a majority)',
    }),
    metadataInstanceType: stringSetting({
      env: 'TICKSTREAM_INFRA_METADATA_INSTANCE_TYPE',
      default: d.metadataInstanceType,
      ...INSTANCE_TYPE,
      doc: 'EC2 type of the ZooKeeper nodes or KRaft controllers',
    }),
    producerCount: intSetting({ env: 'TICKSTREAM_INFRA_PRODUCER_COUNT', default: 1, min: 0, max: 10, doc: 'producer hosts' }),
    sinkCount: intSetting({ env: 'TICKSTREAM_INFRA_SINK_COUNT', default: 1, min: 0, max: 10, doc: 'sink hosts (one consumer group)' }),
    appInstanceType: stringSetting({ env: 'TICKSTREAM_INFRA_APP_INSTANCE_TYPE', default: d.appInstanceType, ...INSTANCE_TYPE, doc: 'EC2 type of the producer and sink hosts' }),
    adminCidrs: listSetting({
      env: 'TICKSTREAM_INFRA_ADMIN_CIDRS',
      default: [],
      doc: 'private networks (VPN, peered VPC) that may scrape the services\' metrics ports (producer 9464, sink workers 9465-9480); never 0.0.0.0/0. Shell access is SSH through the EC2 Instance Connect Endpoint only',
    }),
    sshPublicKey: stringSetting({
      env: 'TICKSTREAM_INFRA_SSH_PUBLIC_KEY',
      default: undefined,
      pattern: SSH_PUBLIC_KEY,
      patternDoc: 'one OpenSSH public key line such as "ssh-ed25519 AAAA... you@laptop" (the contents of ~/.ssh/id_ed25519.pub)',
      doc: 'public key of the `admin` user on every host (an EC2 key pair); Ansible logs in with its private key through the EC2 Instance Connect Endpoint. Required',
    }),
    dnsZone: stringSetting({
      env: 'TICKSTREAM_INFRA_DNS_ZONE',
      default: 'tickstream.internal',
      pattern: /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      patternDoc: 'a DNS domain such as tickstream.internal',
      doc: 'Route 53 private hosted zone holding the stable host names (broker-1.<zone>, ...)',
    }),
    bucketPrefix: stringSetting({
      env: 'TICKSTREAM_INFRA_BUCKET_PREFIX',
      default: 'tickstream',
      pattern: /^[a-z0-9][a-z0-9-]{0,29}$/,
      patternDoc: 'at most 30 lower-case letters, digits or "-"',
      doc: 'first part of the default bucket names <prefix>-<environment>-lake-<account id>',
    }),
    lakeBucket: stringSetting({
      env: 'TICKSTREAM_INFRA_LAKE_BUCKET',
      default: undefined,
      pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      patternDoc: 'an S3 bucket name (3-63 lower-case letters, digits, "." or "-")',
      doc: 'lake bucket name (default <prefix>-<environment>-lake-<account id>)',
    }),
    resultsBucket: stringSetting({
      env: 'TICKSTREAM_INFRA_RESULTS_BUCKET',
      default: undefined,
      pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      patternDoc: 'an S3 bucket name (3-63 lower-case letters, digits, "." or "-")',
      doc: 'Athena results bucket name (default <prefix>-<environment>-athena-results-<account id>)',
    }),
    lakePrefix: stringSetting({
      env: 'TICKSTREAM_INFRA_LAKE_PREFIX',
      default: '',
      allowEmpty: true,
      pattern: /^([a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*)?$/,
      patternDoc: 'empty or key segments separated by "/", without leading or trailing "/"',
      doc: 'key prefix of the lake inside its bucket (the sink writes s3://<bucket>/<prefix>/raw/...)',
    }),
    rawInfrequentAccessDays: intSetting({
      env: 'TICKSTREAM_INFRA_RAW_IA_DAYS',
      default: 30,
      min: 30, // S3 refuses a STANDARD_IA transition before 30 days
      max: DAYS.max,
      doc: 'days after which raw/ objects move to STANDARD_IA',
    }),
    rawArchiveDays: intSetting({ env: 'TICKSTREAM_INFRA_RAW_ARCHIVE_DAYS', default: 90, ...DAYS, doc: 'days after which raw/ objects move to the archive class' }),
    rawArchiveClass: enumSetting({
      env: 'TICKSTREAM_INFRA_RAW_ARCHIVE_CLASS',
      values: ARCHIVE_CLASSES,
      default: 'GLACIER_IR',
      doc: 'archive storage class of raw/; GLACIER_IR stays queryable by Athena, GLACIER and DEEP_ARCHIVE need a restore first',
    }),
    rawExpireDays: intSetting({
      env: 'TICKSTREAM_INFRA_RAW_EXPIRE_DAYS',
      default: d.rawExpireDays,
      ...DAYS,
      doc: 'days after which raw/ objects are deleted; 0 keeps them forever',
    }),
    noncurrentVersionDays: intSetting({
      env: 'TICKSTREAM_INFRA_NONCURRENT_DAYS',
      default: 30,
      min: 1,
      max: DAYS.max,
      doc: 'days an overwritten or deleted lake object version is kept (undo window)',
    }),
    resultsExpireDays: intSetting({
      env: 'TICKSTREAM_INFRA_RESULTS_EXPIRE_DAYS',
      default: d.resultsExpireDays,
      min: 1,
      max: DAYS.max,
      doc: 'days after which Athena query results are deleted',
    }),
    athenaScanLimitGiB: intSetting({
      env: 'TICKSTREAM_INFRA_ATHENA_SCAN_LIMIT_GIB',
      default: d.athenaScanLimitGiB,
      min: 1,
      max: 1_000_000,
      doc: 'bytes-scanned cap per Athena query, GiB (a query over it is cancelled)',
    }),
    crawlerSchedule: stringSetting({
      env: 'TICKSTREAM_INFRA_CRAWLER_SCHEDULE',
      default: 'cron(15 2 * * ? *)',
      pattern: /^cron\(\S+( \S+){5}\)$/,
      patternDoc: 'an AWS cron expression such as cron(15 2 * * ? *)',
      doc: 'when the Glue crawlers run (UTC)',
    }),
    lakePartitioning: enumSetting({
      env: 'TICKSTREAM_INFRA_LAKE_PARTITIONING',
      values: PARTITIONINGS,
      default: DEFAULT_PARTITIONING,
      doc: 'time partitioning of the lake (the sink\'s TICKSTREAM_LAKE_PARTITIONING): day, month or year; sets the Glue partition projection and goes to the sinks through the inventory',
    }),
    partitionStartDate: stringSetting({
      env: 'TICKSTREAM_INFRA_PARTITION_START',
      default: DEFAULT_PARTITION_START,
      pattern: /^\d{4}-\d{2}-\d{2}$/,
      patternDoc: 'a date YYYY-MM-DD',
      doc: 'first dt of the partition projection range: the earliest event date the lake holds (the Kaggle history starts 1965-12-31; set a later date for a live feed so queries without a dt filter enumerate fewer days)',
    }),
    logRetentionDays: intSetting({
      env: 'TICKSTREAM_INFRA_LOG_RETENTION_DAYS',
      default: 365,
      min: 1,
      max: 3653,
      doc: 'retention of the VPC flow log group, days',
    }),
    forceDestroyBuckets: boolSetting({
      env: 'TICKSTREAM_INFRA_FORCE_DESTROY',
      default: d.forceDestroyBuckets,
      doc: 'let `cdktf destroy` delete buckets that still hold objects (dev); prod keeps the lake',
    }),
    stateBucket: stringSetting({
      env: 'TICKSTREAM_INFRA_STATE_BUCKET',
      default: undefined,
      pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      patternDoc: 'an S3 bucket name',
      doc: 'keep the Terraform state in this existing S3 bucket (encrypted, lock file) instead of a local file',
    }),
  };
}

/** The configured zones, or `<region>a`, `<region>b`, ... (every commercial region has a, b, c). */
export function zoneNames(config: Pick<InfraConfig, 'region' | 'azCount' | 'availabilityZones'>): string[] {
  if (config.availabilityZones.length > 0) return [...config.availabilityZones];
  return [...Array(config.azCount).keys()].map((i) => `${config.region}${String.fromCharCode(97 + i)}`);
}

export function infraSpec(profile: Profile) {
  return { infra: infraSettings(profile) } as const;
}

export type InfraConfig = ConfigOf<ReturnType<typeof infraSpec>>['infra'];

/**
 * Reads the `infra` section: once to learn the profile, then again with that profile's
 * defaults. Both reads check every key, so a bad value is reported whatever the profile.
 */
export function loadInfraConfig(options: LoadOptions = {}): InfraConfig {
  const first = loadConfig(infraSpec('prod'), options).infra;
  const config = first.profile === 'prod' ? first : loadConfig(infraSpec(first.profile), options).infra;
  const problems = checkInfraConfig(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Checks between settings, which no single parser can see. Returns every problem found. */
export function checkInfraConfig(config: InfraConfig): ConfigProblem[] {
  const settings = infraSettings(config.profile);
  const problems: ConfigProblem[] = [];
  const problem = (key: keyof typeof settings, message: string): void => {
    const setting: Setting<unknown> = settings[key];
    problems.push({ key: `infra.${key}`, env: setting.env, message });
  };

  if (config.availabilityZones.length > 0) {
    if (config.availabilityZones.length !== config.azCount) {
      problem('availabilityZones', `expected ${config.azCount} zone names (azCount), got ${config.availabilityZones.length}`);
    }
    const foreign = config.availabilityZones.filter((z) => !z.startsWith(config.region));
    if (foreign.length > 0) problem('availabilityZones', `expected zones of ${config.region}, got ${foreign.join(', ')}`);
    if (new Set(config.availabilityZones).size !== config.availabilityZones.length) {
      problem('availabilityZones', 'expected distinct zone names');
    }
  }

  if (config.metadataNodeCount % 2 === 0) {
    problem('metadataNodeCount', `expected an odd number (a quorum of ${config.metadataNodeCount} survives no more failures than one of ${config.metadataNodeCount - 1}), got ${config.metadataNodeCount}`);
  }

  const vpc = parseCidr(config.vpcCidr);
  if (!vpc) {
    problem('vpcCidr', `expected an IPv4 CIDR, got ${JSON.stringify(config.vpcCidr)}`);
  } else if (vpc.prefix < 16 || vpc.prefix > 28 - PRIVATE_SUBNET_BITS) {
    problem('vpcCidr', `expected a prefix length from /16 to /${28 - PRIVATE_SUBNET_BITS} (AWS allows /16 VPCs at most and /28 subnets at least), got /${vpc.prefix}`);
  } else if (!isNonPublicCidr(config.vpcCidr)) {
    problem('vpcCidr', `expected a private range (10/8, 172.16/12, 192.168/16, 100.64/10), got ${config.vpcCidr}`);
  }

  for (const cidr of config.adminCidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed) problem('adminCidrs', `expected IPv4 CIDRs, got ${JSON.stringify(cidr)}`);
    else if (!isNonPublicCidr(cidr)) {
      problem('adminCidrs', `expected private ranges only (metrics ports are never opened to the internet), got ${cidr}`);
    }
  }

  if (config.rawArchiveDays < config.rawInfrequentAccessDays + 30) {
    problem('rawArchiveDays', `expected at least rawInfrequentAccessDays + 30 = ${config.rawInfrequentAccessDays + 30} (S3 keeps objects in STANDARD_IA for 30 days before another transition), got ${config.rawArchiveDays}`);
  }
  if (config.rawExpireDays !== 0 && config.rawExpireDays <= config.rawArchiveDays) {
    problem('rawExpireDays', `expected 0 (keep forever) or more than rawArchiveDays (${config.rawArchiveDays}), got ${config.rawExpireDays}`);
  }

  if (config.sshPublicKey === undefined) {
    problem('sshPublicKey', 'expected the OpenSSH public key Ansible logs in with as `admin` (hosts have no other way in), e.g. TICKSTREAM_INFRA_SSH_PUBLIC_KEY="$(cat ~/.ssh/id_ed25519.pub)"');
  }

  const start = new Date(`${config.partitionStartDate}T00:00:00Z`);
  if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== config.partitionStartDate) {
    problem('partitionStartDate', `expected a real calendar date, got ${config.partitionStartDate}`);
  }

  // Default names end in the 12-digit account id, known only at plan time; check the room now.
  const longest = bucketName(config.bucketPrefix, config.environment, LONGEST_BUCKET_SUFFIX, '123456789012');
  if ((!config.lakeBucket || !config.resultsBucket) && longest.length > 63) {
    problem('bucketPrefix', `default bucket names would be ${longest.length} characters (S3 allows 63); shorten bucketPrefix or environment, or set lakeBucket and resultsBucket`);
  }
  if (config.lakeBucket && config.lakeBucket === config.resultsBucket) {
    problem('resultsBucket', 'expected a bucket other than the lake bucket (results expire, the lake does not)');
  }
  return problems;
}
