/**
 * Security groups and their rules. Egress is closed by default like ingress (AWS opens all
 * egress unless told otherwise), so every flow between two groups is written once here and
 * becomes two rules: ingress on the receiver, egress on the sender. A flow names groups,
 * never addresses; the only CIDR rules are outbound HTTPS (packages, AWS APIs, Session
 * Manager) and the operators' private admin ranges on the metrics ports.
 */
import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';

export interface Port {
  readonly port: number;
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

  /** A group with no rules; add flows with `allow`. */
  group(name: string, description: string): Group {
    const sg = new SecurityGroup(this, name, {
      name: `${this.namePrefix}-${name}`,
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
    for (const { port, what } of ports) {
      const key = `${from.name}-to-${to.name}-${port}`;
      new VpcSecurityGroupIngressRule(this, `${key}-in`, {
        securityGroupId: to.id,
        referencedSecurityGroupId: from.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `${what} from ${from.name}`,
      });
      new VpcSecurityGroupEgressRule(this, `${key}-out`, {
        securityGroupId: from.id,
        referencedSecurityGroupId: to.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `${what} to ${to.name}`,
      });
    }
  }

  /** Inbound TCP from private CIDR ranges (already checked non-public by the config). */
  allowFromCidrs(to: Group, cidrs: readonly string[], ports: readonly Port[]): void {
    cidrs.forEach((cidr, i) => {
      for (const { port, what } of ports) {
        new VpcSecurityGroupIngressRule(this, `admin-${i + 1}-to-${to.name}-${port}`, {
          securityGroupId: to.id,
          cidrIpv4: cidr,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          description: `${what} from admin range ${cidr}`,
        });
      }
    });
  }

  /** Outbound HTTPS: package repositories, Maven Central, AWS APIs, Session Manager. */
  allowHttpsOut(group: Group): void {
    new VpcSecurityGroupEgressRule(this, `${group.name}-https-out`, {
      securityGroupId: group.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS to package repositories, AWS APIs and Session Manager',
    });
  }
}
