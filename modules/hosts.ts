/**
 * EC2 hosts, the one way every machine in the stack is made (brokers, ZooKeeper nodes,
 * KRaft controllers, producers, sinks): hardened the same way, placed round-robin over the
 * AZs, named in the private zone, and described in the shape the Ansible inventory reads.
 *
 * Every host runs the official Debian 12 image, the OS the Debian test hosts of the Ansible
 * suite run, so what CI proves is what runs here.
 *
 * Hardening: IMDSv2 only (no token-less metadata reads), encrypted gp3 root volume,
 * no public IP, detailed monitoring, EBS-optimized, an instance profile; SSH only as
 * `admin` with the configured key, only through the EC2 Instance Connect Endpoint (access.ts).
 * User data only sets the host name; Ansible configures everything else.
 *
 * `ami` and `user_data` changes are ignored after creation: a newer Debian image must not
 * silently replace a broker and its page cache; roll hosts deliberately instead.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Fn } from 'cdktf';
import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami/index.js';
import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume/index.js';
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record/index.js';
import { VolumeAttachment } from '@cdktf/provider-aws/lib/volume-attachment/index.js';
import { hostName } from './naming.js';

/** One host as the `inventory` output lists it (see docs/inventory-contract.md). */
export interface HostInfo {
  readonly name: string;
  readonly id: number;
  readonly private_ip: string;
  readonly private_dns: string;
  readonly az: string;
  readonly instance_id: string;
  /**
   * The host's data volume as Linux names it, a /dev/disk/by-id path udev makes from the
   * EBS volume id (NVMe serial); "" for hosts without one. Debian has no Amazon Linux udev
   * rule linking the NVMe device to the mapping's /dev/sdf.
   */
  readonly data_device: string;
}

export type Architecture = 'x86_64' | 'arm64';

/** Graviton families carry a "g" after the generation digit (m7g, c7gn, t4g, im4gn); a1 too. */
export function architectureOf(instanceType: string): Architecture {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+g[a-z]*$/.test(family) || family === 'a1' ? 'arm64' : 'x86_64';
}

/** Burstable types take a CPU credit setting; others reject it. */
export function isBurstable(instanceType: string): boolean {
  return /^t\d/.test(instanceType);
}

/** Index of the AZ host `index` (0-based) lands in: round-robin, so racks stay balanced. */
export function azIndexOf(index: number, azCount: number): number {
  return index % azCount;
}

/** The AWS account the Debian cloud team publishes the official Debian images from. */
export const DEBIAN_AMI_OWNER = '136693071363';

/** Debian's names for the architectures, as in its image names (debian-12-amd64-20250610-2137). */
const DEBIAN_ARCH: Readonly<Record<Architecture, string>> = { x86_64: 'amd64', arm64: 'arm64' };

/** Name pattern of Debian 12 release images; it leaves out the `-backports-` and daily builds. */
export function debianImageName(arch: Architecture): string {
  return `debian-12-${DEBIAN_ARCH[arch]}-*`;
}

/**
 * The newest official Debian 12 (bookworm) image, looked up by owner and name (resolved at
 * plan time, so synth needs no credentials). By owner rather than through Debian's public
 * SSM parameter (/aws/service/debian/release/bookworm/latest/amd64): the trust anchor, the
 * Debian account id, is in this code where a reviewer sees it, the filter also pins the
 * architecture, virtualization and root device, and the deployer needs only
 * ec2:DescribeImages, which it has anyway, instead of ssm:GetParameter.
 */
export class DebianImages extends Construct {
  private readonly byArch = new Map<Architecture, string>();

  imageFor(instanceType: string): string {
    const arch = architectureOf(instanceType);
    let id = this.byArch.get(arch);
    if (id === undefined) {
      id = new DataAwsAmi(this, `debian-12-${arch}`, {
        owners: [DEBIAN_AMI_OWNER],
        mostRecent: true,
        filter: [
          { name: 'name', values: [debianImageName(arch)] },
          { name: 'architecture', values: [arch] },
          { name: 'virtualization-type', values: ['hvm'] },
          { name: 'root-device-type', values: ['ebs'] },
        ],
      }).id;
      this.byArch.set(arch, id);
    }
    return id;
  }
}

/**
 * udev's stable name of an EBS volume attached over NVMe (every Nitro type; the defaults are
 * all Nitro) is this followed by the volume id without its "-": the NVMe model and serial.
 */
export const EBS_NVME_BY_ID = '/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_';

export interface DataVolumeProps {
  readonly sizeGiB: number;
  /** Device name in the block device mapping (Linux sees the NVMe device; see `data_device`). */
  readonly deviceName: string;
}

/** Where hosts go: what `Network` provides. */
export interface HostNetwork {
  readonly vpcId: string;
  /** One per AZ; hosts are placed round-robin over them. */
  readonly privateSubnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly zoneId: string;
  readonly zoneName: string;
}

/** What every host group needs from access.ts: the SSH source group and the login key. */
export interface HostAccess {
  readonly group: { readonly name: string; readonly id: string };
  readonly keyPair: { readonly name: string; readonly resource: ITerraformDependable };
}

export interface HostGroupProps {
  /** `broker`, `zk`, `controller`, `producer`, `sink`: host names are `<role>-<n>`. */
  readonly role: string;
  readonly count: number;
  /** `id` of the first host (ZooKeeper myid, Kafka broker.id / node.id). */
  readonly firstId?: number;
  /** Name tag prefix, e.g. `tickstream-prod`. */
  readonly namePrefix: string;
  readonly instanceType: string;
  readonly imageId: string;
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileName: string;
  /** EC2 key pair of the `admin` user: its name, and the resource to create first. */
  readonly keyPair: { readonly name: string; readonly resource: ITerraformDependable };
  /** Key for the root and data volumes. */
  readonly volumeKeyArn: string;
  readonly rootVolumeGiB?: number;
  /** A separate gp3 volume per host that outlives the instance (Kafka log.dirs). */
  readonly dataVolume?: DataVolumeProps;
  readonly zone: { readonly id: string; readonly name: string };
}

export class HostGroup extends Construct {
  readonly hosts: readonly HostInfo[];

  constructor(scope: Construct, id: string, props: HostGroupProps) {
    super(scope, id);
    const firstId = props.firstId ?? 1;
    const hosts: HostInfo[] = [];
    for (let i = 0; i < props.count; i++) {
      const name = hostName(props.role, i + 1);
      const fqdn = `${name}.${props.zone.name}`;
      const az = azIndexOf(i, props.subnetIds.length);
      const instance = new Instance(this, name, {
        ami: props.imageId,
        instanceType: props.instanceType,
        subnetId: props.subnetIds[az],
        vpcSecurityGroupIds: [...props.securityGroupIds],
        iamInstanceProfile: props.instanceProfileName,
        keyName: props.keyPair.name,
        dependsOn: [props.keyPair.resource],
        associatePublicIpAddress: false,
        monitoring: true,
        ebsOptimized: true,
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
        rootBlockDevice: {
          volumeType: 'gp3',
          volumeSize: props.rootVolumeGiB ?? 16,
          encrypted: true,
          kmsKeyId: props.volumeKeyArn,
          deleteOnTermination: true,
        },
        ...(isBurstable(props.instanceType) ? { creditSpecification: { cpuCredits: 'unlimited' } } : {}),
        userData: cloudConfig(name, fqdn),
        tags: { Name: `${props.namePrefix}-${name}`, Role: props.role, 'tickstream:id': String(firstId + i) },
        lifecycle: { ignoreChanges: ['ami', 'user_data'] },
      });

      let dataDevice = '';
      if (props.dataVolume) {
        const volume = new EbsVolume(this, `${name}-data`, {
          availabilityZone: props.availabilityZones[az]!,
          type: 'gp3',
          size: props.dataVolume.sizeGiB,
          iops: 3000,
          throughput: 125,
          encrypted: true,
          kmsKeyId: props.volumeKeyArn,
          tags: { Name: `${props.namePrefix}-${name}-data`, Role: props.role },
        });
        new VolumeAttachment(this, `${name}-data-attachment`, {
          deviceName: props.dataVolume.deviceName,
          volumeId: volume.id,
          instanceId: instance.id,
          stopInstanceBeforeDetaching: true,
        });
        dataDevice = `${EBS_NVME_BY_ID}${Fn.replace(volume.id, '-', '')}`;
      }

      new Route53Record(this, `${name}-dns`, {
        zoneId: props.zone.id,
        name: fqdn,
        type: 'A',
        ttl: 60,
        records: [instance.privateIp],
      });

      hosts.push({
        name,
        id: firstId + i,
        private_ip: instance.privateIp,
        private_dns: fqdn,
        az: props.availabilityZones[az]!,
        instance_id: instance.id,
        data_device: dataDevice,
      });
    }
    this.hosts = hosts;
  }
}

/** cloud-init: the stable DNS name becomes the host name, so logs and JMX show it. */
export function cloudConfig(name: string, fqdn: string): string {
  return ['#cloud-config', `hostname: ${name}`, `fqdn: ${fqdn}`, 'prefer_fqdn_over_hostname: true', ''].join('\n');
}
