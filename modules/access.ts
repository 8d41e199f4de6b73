/**
 * How operators and Ansible reach the hosts: SSH as `admin` (the Debian AMI's user, with
 * passwordless sudo) through an EC2 Instance Connect Endpoint, and nothing else.
 *
 * Why this and not Systems Manager: the official Debian 12 AMI ships no SSM agent, and
 * installing one would need a download from outside Debian at boot plus the managed
 * `AmazonSSMManagedInstanceCore` policy on every host. The endpoint needs nothing on the
 * hosts but sshd, which the AMI runs, and it keeps AWS on the same path as the Debian test
 * hosts, which Ansible also reaches by SSH as `admin` with become.
 *
 *   operator --(HTTPS, IAM: ec2-instance-connect:OpenTunnel)--> endpoint --(22)--> host
 *
 * Hosts keep no public address; port 22 is open only from the endpoint's security group
 * (client IP not preserved, so the endpoint's group is the source the hosts see). A VPC
 * takes one endpoint; it sits in the first private subnet and reaches every subnet, so SSH
 * depends on that AZ (the cluster does not). `preserveClientIp` must stay false (the
 * provider's default is true): with the client's address as source, the group rule would
 * not match.
 *
 * The login key is an EC2 key pair made from the configured public key (`sshPublicKey`):
 * cloud-init puts it in admin's authorized_keys at first boot. EC2 Instance Connect's pushed
 * one-time keys would need the ec2-instance-connect package, which the Debian AMI lacks.
 */
import { Construct } from 'constructs';
import { Ec2InstanceConnectEndpoint } from '@cdktf/provider-aws/lib/ec2-instance-connect-endpoint/index.js';
import { KeyPair } from '@cdktf/provider-aws/lib/key-pair/index.js';
import { Firewall, type Group } from './firewall.js';

/** The Debian AMI's default user (cloud-init's default_user on Debian's cloud images). */
export const SSH_USER = 'admin';

export interface AccessProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  /** The endpoint's subnet; it reaches every subnet of the VPC. */
  readonly subnetId: string;
  readonly sshPublicKey: string;
}

export class Access extends Construct {
  /** Source group of SSH: hosts allow port 22 from it (`Firewall.allow(access.group, ...)`). */
  readonly group: Group;
  readonly endpointId: string;
  /** The key pair's name, a literal (see below), and the resource instances depend on. */
  readonly keyPair: { readonly name: string; readonly resource: KeyPair };

  constructor(scope: Construct, id: string, props: AccessProps) {
    super(scope, id);
    const firewall = new Firewall(this, 'firewall', props.vpcId, props.namePrefix);
    this.group = firewall.group('instance-connect', 'EC2 Instance Connect Endpoint: SSH to the hosts');
    const endpoint = new Ec2InstanceConnectEndpoint(this, 'endpoint', {
      subnetId: props.subnetId,
      securityGroupIds: [this.group.id],
      preserveClientIp: false,
      tags: { Name: `${props.namePrefix}-instance-connect` },
    });
    // Instances name the key by this literal, not by a reference to the resource: a new
    // public key replaces the key pair, and a reference to a replaced resource is unknown at
    // plan time, which would replace every instance (key_name forces a new instance). Hosts
    // already running keep the key they booted with (docs/deploy-aws.md, rotating the key).
    const keyName = `${props.namePrefix}-admin`;
    const keyPair = new KeyPair(this, 'admin-key', { keyName, publicKey: props.sshPublicKey, tags: { Name: keyName } });
    this.keyPair = { name: keyName, resource: keyPair };
    this.endpointId = endpoint.id;
  }
}
