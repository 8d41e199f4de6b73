/**
 * The service hosts: producers (publish ticks, need Kafka only: no S3 grant at all) and
 * sinks (consume and write Parquet under the lake's raw/ and processed/ prefixes, nothing
 * else). Both join the Kafka cluster's client group; neither accepts inbound traffic except
 * SSH from the EC2 Instance Connect Endpoint and scrapes of their own metrics endpoints from
 * the admin ranges.
 */
import { Construct } from 'constructs';
import { Firewall, SSH_PORT, type Port } from './firewall.js';
import { HostGroup, type HostAccess, type HostInfo, type HostNetwork } from './hosts.js';
import { InstanceRole } from './iam.js';
import { sinkPolicy, type LakeAccess, type Scope } from './policies.js';

/**
 * Sink worker processes whose metrics the admin ranges may scrape: the Ansible role runs one
 * per core (tickstream_service_workers), worker i on 9465 + i - 1.
 */
export const MAX_SCRAPED_SINK_WORKERS = 16;

/** The services' own Prometheus endpoints (their default ports); no other exporter runs. */
export const SERVICE_METRICS_PORTS: readonly Port[] = [
  { port: 9464, what: 'producer /metrics' },
  { port: 9465, toPort: 9465 + MAX_SCRAPED_SINK_WORKERS - 1, what: 'sink /metrics (worker i on 9465 + i - 1)' },
];

export interface AppHostsProps {
  readonly namePrefix: string;
  readonly producerCount: number;
  readonly sinkCount: number;
  readonly instanceType: string;
  readonly imageId: string;
  readonly adminCidrs: readonly string[];
  readonly scope: Scope;
  readonly network: HostNetwork;
  /** SSH source and login key (access.ts). */
  readonly access: HostAccess;
  readonly kafkaClientSecurityGroupId: string;
  readonly volumeKeyArn: string;
  /** What the sink may write: the lake bucket, its key and its prefixes. */
  readonly lake: LakeAccess;
}

export class AppHosts extends Construct {
  readonly producers: readonly HostInfo[];
  readonly sinks: readonly HostInfo[];

  constructor(scope: Construct, id: string, props: AppHostsProps) {
    super(scope, id);
    const fw = new Firewall(this, 'firewall', props.network.vpcId, props.namePrefix);
    const services = fw.group('services', 'tickstream producer and sink hosts');
    fw.allowHttpsOut(services);
    fw.allowFromCidrs(services, props.adminCidrs, SERVICE_METRICS_PORTS);
    fw.allow(props.access.group, services, [SSH_PORT]);

    const common = {
      namePrefix: props.namePrefix,
      keyPair: props.access.keyPair,
      instanceType: props.instanceType,
      imageId: props.imageId,
      subnetIds: props.network.privateSubnetIds,
      availabilityZones: props.network.availabilityZones,
      securityGroupIds: [services.id, props.kafkaClientSecurityGroupId],
      volumeKeyArn: props.volumeKeyArn,
      zone: { id: props.network.zoneId, name: props.network.zoneName },
    };

    const producerRole = new InstanceRole(this, 'producer-role', { name: `${props.namePrefix}-producer` });
    const sinkRole = new InstanceRole(this, 'sink-role', {
      name: `${props.namePrefix}-sink`,
      policies: { 'write-lake-prefixes': sinkPolicy(props.lake, props.scope) },
    });

    this.producers = new HostGroup(this, 'producers', {
      ...common,
      role: 'producer',
      count: props.producerCount,
      instanceProfileName: producerRole.instanceProfileName,
    }).hosts;
    this.sinks = new HostGroup(this, 'sinks', {
      ...common,
      role: 'sink',
      count: props.sinkCount,
      instanceProfileName: sinkRole.instanceProfileName,
    }).hosts;
  }
}
