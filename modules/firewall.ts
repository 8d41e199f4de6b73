/**
 * Security groups and their rules. Egress is closed by default like ingress (AWS opens all
 * egress unless told otherwise), so every flow between two groups is written once here and
 * becomes two rules: ingress on the receiver, egress on the sender. A flow names groups,
 * never addresses (SSH too: only from the EC2 Instance Connect Endpoint's group); the only
 * CIDR rules are outbound HTTPS (Debian's package mirror, AWS APIs) and the operators'
 * private admin ranges on the services' metrics ports.
 */
import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';

/** SSH, which hosts accept only from the EC2 Instance Connect Endpoint (access.ts). */
export const SSH_PORT: Port = { port: 22, what: 'SSH' };

export interface Port {
  readonly port: number;
  /** The last port of a range starting at `port` (default: `port` alone). */
  readonly toPort?: number;
  /** What listens there, for the rule descriptions. */
  readonly what: string;
}

/** A security group as the rules refer to it. */
export interface Group {
  readonly name: string;
  readonly id: string;
}

export class Firewall extends Construct {
  constructor(
    scope: Construct,
    id: string,
    private readonly vpcId: string,
    private readonly namePrefix: string,
  ) {
    super(scope, id);
  }

  /**
   * A group with no rules; add flows with `allow`. Named by prefix: a change that replaces a
   * group (its description, say) creates the new one before destroying the old, and two
   * groups cannot share a name in a VPC; the Name tag keeps the readable name.
   */
  group(name: string, description: string): Group {
    const sg = new SecurityGroup(this, name, {
      namePrefix: `${this.namePrefix}-${name}-`,
      description,
      vpcId: this.vpcId,
      // Inline rules would fight the separate rule resources; none here.
      tags: { Name: `${this.namePrefix}-${name}` },
      lifecycle: { createBeforeDestroy: true },
    });
    return { name, id: sg.id };
  }

  /** TCP from one group to another (the same group for peer traffic) on each port. */
  allow(from: Group, to: Group, ports: readonly Port[]): void {
    for (const { port, toPort = port, what } of ports) {
      const key = `${from.name}-to-${to.name}-${port}${toPort === port ? '' : `-${toPort}`}`;
      new VpcSecurityGroupIngressRule(this, `${key}-in`, {
        securityGroupId: to.id,
        referencedSecurityGroupId: from.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort,
        description: `${what} from ${from.name}`,
      });
      new VpcSecurityGroupEgressRule(this, `${key}-out`, {
        securityGroupId: from.id,
        referencedSecurityGroupId: to.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort,
        description: `${what} to ${to.name}`,
      });
    }
  }

  /** Inbound TCP from private CIDR ranges (already checked non-public by the config). */
  allowFromCidrs(to: Group, cidrs: readonly string[], ports: readonly Port[]): void {
    cidrs.forEach((cidr, i) => {
      for (const { port, toPort = port, what } of ports) {
        new VpcSecurityGroupIngressRule(this, `admin-${i + 1}-to-${to.name}-${port}`, {
          securityGroupId: to.id,
          cidrIpv4: cidr,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort,
          description: `${what} from admin range ${cidr}`,
        });
      }
    });
  }

  /**
   * Outbound HTTPS: Debian's package mirror (the Debian AMI's apt sources use HTTPS) and AWS
   * APIs (S3 goes through the gateway endpoint on the same port).
   */
  allowHttpsOut(group: Group): void {
    new VpcSecurityGroupEgressRule(this, `${group.name}-https-out`, {
      securityGroupId: group.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS to the Debian package mirror and AWS APIs',
    });
  }
}
