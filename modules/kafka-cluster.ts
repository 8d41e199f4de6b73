/**
 * The Kafka cluster on EC2: brokers with a gp3 data volume each, spread round-robin over
 * the AZs (`broker.rack` = AZ, so replicas of a partition land in different AZs), and the
 * metadata quorum: a ZooKeeper ensemble (Kafka 3.9) or dedicated KRaft controllers (Kafka 4).
 *
 * Who may talk to whom (security groups), every flow encrypted (docs/ansible.md, "Security"):
 *   clients (the `kafka-client` group) -> brokers: 9094, the SASL_SSL client listener
 *   brokers <-> brokers:                  9091 (TLS replication listener) and 9094
 *   brokers -> ZooKeeper:                 2181 (TLS only: the roles serve it as secureClientPort)
 *   ZooKeeper <-> ZooKeeper:              2888, 3888 (quorum TLS on the same ports)
 *   brokers, controllers -> controllers:  9093 (KRaft controller listener, TLS)
 *   Instance Connect Endpoint -> hosts:   22 (access.ts)
 * Any host that should produce or consume joins `kafka-client`; nothing else reaches a broker.
 * No exporter runs on these hosts (the roles install none), so no metrics port is open.
 *
 * Ansible configures the software; this construct decides the ports it must use (KAFKA_PORTS).
 */
import { Construct } from 'constructs';
import type { MetadataMode } from '../lib/kafka.js';
import { Firewall, SSH_PORT, type Group, type Port } from './firewall.js';
import { HostGroup, type HostAccess, type HostInfo, type HostNetwork } from './hosts.js';
import { InstanceRole } from './iam.js';

export const KAFKA_PORTS = {
  /**
   * The SASL_SSL (SCRAM-SHA-512) client listener the services use; `kafka_client_port` in
   * the inventory, so the roles' CLIENT listener binds it. The roles' plaintext default,
   * 9092, is for the local stack and is not opened here.
   */
  client: 9094,
  /** Inter-broker replication listener (SSL or SASL_SSL); also the brokers' admin listener. */
  replication: 9091,
  /** KRaft controller listener (SSL). */
  controller: 9093,
  /**
   * ZooKeeper's client port, what the brokers connect to: TLS only with client certificates
   * (the zookeeper role serves `zookeeper_client_port` as secureClientPort and no plain port).
   */
  zookeeperClient: 2181,
  /** Follower to leader and leader election; sslQuorum encrypts them on the same ports. */
  zookeeperQuorum: 2888,
  zookeeperElection: 3888,
} as const;

/** KRaft node ids are shared by brokers and controllers; controllers take 101, 102, ... */
export const CONTROLLER_FIRST_ID = 101;

/** Where the block device mapping puts each broker's data volume. */
export const BROKER_DATA_DEVICE = '/dev/sdf';

const CLIENT_PORTS: readonly Port[] = [{ port: KAFKA_PORTS.client, what: 'Kafka SASL_SSL client listener' }];

export interface KafkaClusterProps {
  readonly namePrefix: string;
  readonly metadataMode: MetadataMode;
  readonly brokerCount: number;
  readonly brokerInstanceType: string;
  readonly brokerVolumeGiB: number;
  readonly metadataNodeCount: number;
  readonly metadataInstanceType: string;
  readonly network: HostNetwork;
  /** SSH source and login key (access.ts). */
  readonly access: HostAccess;
  readonly imageFor: (instanceType: string) => string;
  readonly volumeKeyArn: string;
}

export class KafkaCluster extends Construct {
  readonly brokers: readonly HostInfo[];
  readonly zookeeper: readonly HostInfo[];
  readonly controllers: readonly HostInfo[];
  /** Attach to any host that produces or consumes. */
  readonly clientSecurityGroupId: string;
  /** `broker-1.<zone>:9092,...`: stable across instance replacements. */
  readonly bootstrapServers: string;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const fw = new Firewall(this, 'firewall', props.network.vpcId, props.namePrefix);
    const client = fw.group('kafka-client', 'Hosts allowed to reach the Kafka client listeners');
    const brokers = fw.group('kafka-broker', 'Kafka brokers');
    const metadataRole = props.metadataMode === 'zookeeper' ? 'zk' : 'controller';
    const metadata = fw.group(
      metadataRole === 'zk' ? 'zookeeper' : 'kafka-controller',
      metadataRole === 'zk' ? 'ZooKeeper ensemble' : 'KRaft controllers',
    );

    fw.allow(client, brokers, CLIENT_PORTS);
    fw.allow(brokers, brokers, [{ port: KAFKA_PORTS.replication, what: 'Kafka TLS replication listener' }, ...CLIENT_PORTS]);
    this.metadataFlows(fw, brokers, metadata, props.metadataMode);
    for (const group of [brokers, metadata]) {
      fw.allowHttpsOut(group);
      fw.allow(props.access.group, group, [SSH_PORT]);
    }

    const common = {
      namePrefix: props.namePrefix,
      keyPair: props.access.keyPair,
      subnetIds: props.network.privateSubnetIds,
      availabilityZones: props.network.availabilityZones,
      volumeKeyArn: props.volumeKeyArn,
      zone: { id: props.network.zoneId, name: props.network.zoneName },
    };
    // Separate roles per tier: a later grant to brokers (tiered storage, say) stays off ZooKeeper.
    const brokerRole = new InstanceRole(this, 'broker-role', { name: `${props.namePrefix}-kafka-broker` });
    const metadataIam = new InstanceRole(this, 'metadata-role', { name: `${props.namePrefix}-kafka-${metadataRole}` });

    const brokerHosts = new HostGroup(this, 'brokers', {
      ...common,
      role: 'broker',
      count: props.brokerCount,
      instanceType: props.brokerInstanceType,
      imageId: props.imageFor(props.brokerInstanceType),
      securityGroupIds: [brokers.id],
      instanceProfileName: brokerRole.instanceProfileName,
      dataVolume: { sizeGiB: props.brokerVolumeGiB, deviceName: BROKER_DATA_DEVICE },
    });
    const metadataHosts = new HostGroup(this, 'metadata', {
      ...common,
      role: metadataRole,
      count: props.metadataNodeCount,
      firstId: metadataRole === 'zk' ? 1 : CONTROLLER_FIRST_ID,
      instanceType: props.metadataInstanceType,
      imageId: props.imageFor(props.metadataInstanceType),
      securityGroupIds: [metadata.id],
      instanceProfileName: metadataIam.instanceProfileName,
    });

    this.brokers = brokerHosts.hosts;
    this.zookeeper = metadataRole === 'zk' ? metadataHosts.hosts : [];
    this.controllers = metadataRole === 'controller' ? metadataHosts.hosts : [];
    this.clientSecurityGroupId = client.id;
    this.bootstrapServers = this.brokers.map((b) => `${b.private_dns}:${KAFKA_PORTS.client}`).join(',');
  }

  private metadataFlows(fw: Firewall, brokers: Group, metadata: Group, mode: MetadataMode): void {
    if (mode === 'zookeeper') {
      fw.allow(brokers, metadata, [{ port: KAFKA_PORTS.zookeeperClient, what: 'ZooKeeper TLS client port' }]);
      fw.allow(metadata, metadata, [
        { port: KAFKA_PORTS.zookeeperQuorum, what: 'ZooKeeper quorum port (TLS)' },
        { port: KAFKA_PORTS.zookeeperElection, what: 'ZooKeeper leader election port (TLS)' },
      ]);
    } else {
      const controller = [{ port: KAFKA_PORTS.controller, what: 'KRaft TLS controller listener' }];
      fw.allow(brokers, metadata, controller);
      fw.allow(metadata, metadata, controller);
    }
  }
}
