/**
 * The whole deployment of one environment as one Terraform stack, `tickstream-<environment>`:
 * network, Kafka cluster, service hosts, data lake, catalog, Athena, and the outputs the
 * Ansible inventory is generated from (docs/inventory-contract.md).
 *
 *   KMS "platform" key --> EBS volumes, flow logs, Glue crawler logs
 *   DataLake (KMS "lake" key, lake, results, access logs) --> Catalog (Glue) --> Analytics (Athena)
 *   Network (S3 endpoint limited to the lake) --> Access (Instance Connect Endpoint, key pair)
 *     --> KafkaCluster (brokers, ZooKeeper | KRaft controllers) --> AppHosts (producer, sink)
 * Every host runs the official Debian 12 image (hosts.ts).
 */
import type { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { Analytics, type NamedQuery } from './analytics.js';
import { AppHosts } from './app-hosts.js';
import { Catalog, CRAWLER_LOG_GROUP_PREFIX } from './catalog.js';
import { DataLake } from './data-lake.js';
import { DebianImages, type HostInfo } from './hosts.js';
import { Access, SSH_USER } from './access.js';
import { KAFKA_PORTS, KafkaCluster } from './kafka-cluster.js';
import { EncryptionKey } from './kms.js';
import { glueDatabaseName, partitionOf, resourcePrefix, s3Uri } from './naming.js';
import { Network } from './network.js';
import { logsKeyService } from './key-policies.js';
import type { Scope } from './policies.js';
import { zoneNames, type InfraConfig } from './settings.js';

export interface TickstreamStackProps {
  readonly config: InfraConfig;
  /** Named queries to register (main.ts reads analytics/queries/). */
  readonly queries: readonly NamedQuery[];
}

/** The `inventory` output: exactly the shape of docs/inventory-contract.md. */
export interface Inventory {
  readonly environment: string;
  readonly region: string;
  readonly metadata_mode: string;
  readonly kafka_client_port: number;
  readonly lake_bucket: string;
  readonly lake_prefix: string;
  /** The lake's time partitioning: the sinks' TICKSTREAM_LAKE_PARTITIONING. */
  readonly lake_partitioning: string;
  readonly results_bucket: string;
  readonly glue_database: string;
  readonly athena_workgroup: string;
  /** How Ansible logs in: SSH as this user through this EC2 Instance Connect Endpoint. */
  readonly ssh_user: string;
  readonly instance_connect_endpoint_id: string;
  readonly hosts: {
    readonly zookeeper: readonly HostInfo[];
    readonly kafka_broker: readonly HostInfo[];
    readonly kafka_controller: readonly HostInfo[];
    readonly tickstream_producer: readonly HostInfo[];
    readonly tickstream_sink: readonly HostInfo[];
  };
}

export function stackName(environment: string): string {
  return resourcePrefix(environment);
}

export class TickstreamStack extends TerraformStack {
  readonly inventory: Inventory;

  constructor(scope: Construct, id: string, props: TickstreamStackProps) {
    super(scope, id);
    const c = props.config;
    const name = resourcePrefix(c.environment);

    this.backend(c, id);
    new AwsProvider(this, 'aws', {
      region: c.region,
      defaultTags: [{ tags: { Project: 'tickstream', Environment: c.environment, ManagedBy: 'cdktf' } }],
    });
    const account = new DataAwsCallerIdentity(this, 'account');
    const awsScope: Scope = { partition: partitionOf(c.region), region: c.region, accountId: account.accountId };

    const platformKey = new EncryptionKey(this, 'platform-key', {
      aliasName: `${name}-platform`,
      description: `${name}: EBS volumes, VPC flow logs, Glue crawler logs`,
      scope: awsScope,
      services: [logsKeyService(awsScope, [`/tickstream/${name}/`, CRAWLER_LOG_GROUP_PREFIX])],
    });

    const lake = new DataLake(this, 'lake', {
      namePrefix: name,
      bucketPrefix: c.bucketPrefix,
      environment: c.environment,
      lakeBucket: c.lakeBucket,
      resultsBucket: c.resultsBucket,
      lakePrefix: c.lakePrefix,
      rawInfrequentAccessDays: c.rawInfrequentAccessDays,
      rawArchiveDays: c.rawArchiveDays,
      rawArchiveClass: c.rawArchiveClass,
      rawExpireDays: c.rawExpireDays,
      noncurrentVersionDays: c.noncurrentVersionDays,
      resultsExpireDays: c.resultsExpireDays,
      logRetentionDays: c.logRetentionDays,
      forceDestroy: c.forceDestroyBuckets,
      scope: awsScope,
    });
    const lakeAccess = { bucketArn: lake.lakeBucketArn, keyArn: lake.keyArn, prefixes: lake.prefixes };

    const network = new Network(this, 'network', {
      name,
      cidr: c.vpcCidr,
      zones: zoneNames(c),
      natGatewayPerAz: c.natGatewayPerAz,
      dnsZone: c.dnsZone,
      scope: awsScope,
      logsKeyArn: platformKey.arn,
      logRetentionDays: c.logRetentionDays,
      s3BucketArns: [lake.lakeBucketArn],
    });
    const images = new DebianImages(this, 'images');
    // loadInfraConfig refuses a config without the key; synth of a hand-made config too.
    if (c.sshPublicKey === undefined) throw new Error('infra.sshPublicKey is required (TICKSTREAM_INFRA_SSH_PUBLIC_KEY)');
    const access = new Access(this, 'access', {
      namePrefix: name,
      vpcId: network.vpcId,
      subnetId: network.privateSubnetIds[0]!,
      sshPublicKey: c.sshPublicKey,
    });

    const kafka = new KafkaCluster(this, 'kafka', {
      namePrefix: name,
      metadataMode: c.metadataMode,
      brokerCount: c.brokerCount,
      brokerInstanceType: c.brokerInstanceType,
      brokerVolumeGiB: c.brokerVolumeGiB,
      metadataNodeCount: c.metadataNodeCount,
      metadataInstanceType: c.metadataInstanceType,
      network,
      access,
      imageFor: (type) => images.imageFor(type),
      volumeKeyArn: platformKey.arn,
    });

    const apps = new AppHosts(this, 'apps', {
      namePrefix: name,
      producerCount: c.producerCount,
      sinkCount: c.sinkCount,
      instanceType: c.appInstanceType,
      imageId: images.imageFor(c.appInstanceType),
      adminCidrs: c.adminCidrs,
      scope: awsScope,
      network,
      access,
      kafkaClientSecurityGroupId: kafka.clientSecurityGroupId,
      volumeKeyArn: platformKey.arn,
      lake: { ...lakeAccess, statePrefix: lake.sinkStatePrefix },
    });

    const catalog = new Catalog(this, 'catalog', {
      namePrefix: name,
      databaseName: glueDatabaseName(c.environment),
      lakeBucket: lake.lakeBucket,
      lakePrefix: c.lakePrefix,
      lake: lakeAccess,
      partitionStartDate: c.partitionStartDate,
      partitioning: c.lakePartitioning,
      crawlerSchedule: c.crawlerSchedule,
      logsKeyArn: platformKey.arn,
      scope: awsScope,
    });

    const analytics = new Analytics(this, 'analytics', {
      workgroupName: name,
      databaseName: catalog.databaseName,
      resultsBucket: lake.resultsBucket,
      resultsKeyArn: lake.keyArn,
      scanLimitGiB: c.athenaScanLimitGiB,
      queries: props.queries,
    });

    this.inventory = {
      environment: c.environment,
      region: c.region,
      metadata_mode: c.metadataMode,
      kafka_client_port: KAFKA_PORTS.client,
      lake_bucket: lake.lakeBucket,
      lake_prefix: c.lakePrefix,
      lake_partitioning: c.lakePartitioning,
      results_bucket: lake.resultsBucket,
      glue_database: catalog.databaseName,
      athena_workgroup: analytics.workgroupName,
      ssh_user: SSH_USER,
      instance_connect_endpoint_id: access.endpointId,
      hosts: {
        zookeeper: kafka.zookeeper,
        kafka_broker: kafka.brokers,
        kafka_controller: kafka.controllers,
        tickstream_producer: apps.producers,
        tickstream_sink: apps.sinks,
      },
    };

    const output = (id: string, value: unknown, description: string): void => {
      new TerraformOutput(this, id, { value, description });
    };
    output('inventory', this.inventory, 'Hosts and names for the Ansible inventory (docs/inventory-contract.md)');
    output('lake_bucket', lake.lakeBucket, 'Lake bucket');
    output('lake_uri', s3Uri(lake.lakeBucket, c.lakePrefix), 'TICKSTREAM_LAKE for the sink');
    output('results_bucket', lake.resultsBucket, 'Athena results bucket');
    output('access_logs_bucket', lake.accessLogsBucket, 'S3 server access logs of the lake and results buckets');
    output('instance_connect_endpoint_id', access.endpointId, 'EC2 Instance Connect Endpoint: ssh admin@<instance id> through `aws ec2-instance-connect open-tunnel`');
    output('lake_kms_key_arn', lake.keyArn, 'KMS key of the lake and results buckets');
    output('glue_database', catalog.databaseName, 'Glue database');
    output('glue_crawlers', catalog.crawlerNames, 'Glue crawlers (raw/, processed/)');
    output('athena_workgroup', analytics.workgroupName, 'Athena workgroup');
    output('athena_named_queries', analytics.queryNames, 'Named queries registered from analytics/queries/');
    output('kafka_bootstrap', kafka.bootstrapServers, 'TICKSTREAM_KAFKA_BOOTSTRAP for the services');
    output('vpc_id', network.vpcId, 'VPC');
    output('dns_zone', network.zoneName, 'Private hosted zone of the host names');
  }

  /** State in an S3 bucket when one is configured (teams), else a local file beside the project. */
  private backend(c: InfraConfig, id: string): void {
    if (c.stateBucket) {
      new S3Backend(this, { bucket: c.stateBucket, key: `tickstream/${id}.tfstate`, region: c.region, encrypt: true });
      // S3-native state locking (Terraform 1.10+); cdktf 0.21's S3Backend has no typed field for it.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      // Relative to cdktf.out/stacks/<stack>/, where Terraform runs: the project folder,
      // outside cdktf.out, so a new synth never touches the state.
      new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    }
  }
}
