/**
 * The network: a VPC over N availability zones, a private subnet per AZ for every host,
 * a public subnet per AZ that only holds NAT gateways (hosts never get public addresses),
 * an S3 gateway endpoint so lake traffic stays on the AWS network and skips NAT charges
 * (limited to the stack's own buckets by its policy), VPC flow logs, and the Route 53
 * private zone that gives hosts stable names.
 *
 * NAT carries the hosts' outbound HTTPS: Debian's package mirror and AWS APIs. Nothing comes
 * in from the internet; operators reach the hosts by SSH through the EC2 Instance Connect
 * Endpoint (access.ts).
 */
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { subnetLayout } from './cidr.js';
import { renderPolicy, ServiceRole } from './iam.js';
import { flowLogsPolicy, s3EndpointPolicy, type Scope } from './policies.js';

export interface NetworkProps {
  /** `tickstream-prod`: prefix of names and Name tags. */
  readonly name: string;
  readonly cidr: string;
  /** AZ names, pinned in config (see settings.ts `availabilityZones`). */
  readonly zones: readonly string[];
  /** One NAT gateway per AZ (an AZ outage leaves the others online) or one shared. */
  readonly natGatewayPerAz: boolean;
  /** Private hosted zone for host names, e.g. `tickstream.internal`. */
  readonly dnsZone: string;
  readonly scope: Scope;
  /** Key that encrypts the flow log group. */
  readonly logsKeyArn: string;
  readonly logRetentionDays: number;
  /** The only buckets the S3 gateway endpoint lets requests reach (the lake). */
  readonly s3BucketArns: readonly string[];
}

export class Network extends Construct {
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** One per AZ, in AZ order; hosts are placed round-robin over them. */
  readonly privateSubnetIds: readonly string[];
  /** AZ name of each private subnet. */
  readonly availabilityZones: readonly string[];
  readonly zoneId: string;
  readonly zoneName: string;
  readonly flowLogGroupName: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const layout = subnetLayout(props.cidr, props.zones.length);
    const tag = (name: string): Record<string, string> => ({ Name: `${props.name}-${name}` });

    const azs = props.zones;

    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true, // required by private hosted zones
      tags: tag('vpc'),
    });
    // The default group allows all traffic between its members; nothing should use it.
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: vpc.id, tags: tag('default-unused') });

    // No public IPs on launch in either tier: the public subnets hold only NAT gateways,
    // which bring their own Elastic IPs.
    const subnets = (tier: 'private' | 'public', cidrs: readonly string[]): Subnet[] =>
      cidrs.map(
        (cidr, i) =>
          new Subnet(this, `${tier}-${i + 1}`, {
            vpcId: vpc.id,
            cidrBlock: cidr,
            availabilityZone: azs[i],
            mapPublicIpOnLaunch: false,
            tags: { ...tag(`${tier}-${i + 1}`), Tier: tier },
          }),
      );
    const privateSubnets = subnets('private', layout.private);
    const publicSubnets = subnets('public', layout.public);

    const igw = new InternetGateway(this, 'igw', { vpcId: vpc.id, tags: tag('igw') });
    const publicRoutes = new RouteTable(this, 'public-routes', { vpcId: vpc.id, tags: tag('public') });
    new Route(this, 'public-default', { routeTableId: publicRoutes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
    publicSubnets.forEach((s, i) => new RouteTableAssociation(this, `public-${i + 1}-routes`, { subnetId: s.id, routeTableId: publicRoutes.id }));

    const natCount = props.natGatewayPerAz ? azs.length : 1;
    const nats = [...Array(natCount).keys()].map((i) => {
      const eip = new Eip(this, `nat-${i + 1}-ip`, { domain: 'vpc', tags: tag(`nat-${i + 1}`) });
      return new NatGateway(this, `nat-${i + 1}`, {
        allocationId: eip.id,
        subnetId: publicSubnets[i]!.id,
        tags: tag(`nat-${i + 1}`),
        dependsOn: [igw],
      });
    });

    const privateRouteTables = privateSubnets.map((subnet, i) => {
      const table = new RouteTable(this, `private-${i + 1}-routes`, { vpcId: vpc.id, tags: tag(`private-${i + 1}`) });
      new Route(this, `private-${i + 1}-default`, {
        routeTableId: table.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: nats[props.natGatewayPerAz ? i : 0]!.id,
      });
      new RouteTableAssociation(this, `private-${i + 1}-association`, { subnetId: subnet.id, routeTableId: table.id });
      return table;
    });

    new VpcEndpoint(this, 's3-endpoint', {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${props.scope.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRouteTables.map((t) => t.id),
      policy: renderPolicy(this, 's3-endpoint-policy', s3EndpointPolicy(props.s3BucketArns, props.scope)),
      tags: tag('s3'),
    });

    this.flowLogGroupName = `/tickstream/${props.name}/vpc-flow-logs`;
    const flowLogGroup = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: this.flowLogGroupName,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKeyArn,
    });
    const flowLogRole = new ServiceRole(this, 'flow-log-role', {
      name: `${props.name}-vpc-flow-logs`,
      service: 'vpc-flow-logs.amazonaws.com',
      scope: props.scope,
      policies: { 'deliver-flow-logs': flowLogsPolicy(flowLogGroup.arn) },
    });
    new FlowLog(this, 'flow-log', {
      vpcId: vpc.id,
      trafficType: 'ALL',
      logDestination: flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      maxAggregationInterval: 60,
      tags: tag('flow-log'),
    });

    const zone = new Route53Zone(this, 'zone', {
      name: props.dnsZone,
      comment: `${props.name}: stable names of the Kafka and service hosts`,
      vpc: [{ vpcId: vpc.id }],
    });

    this.vpcId = vpc.id;
    this.vpcCidr = props.cidr;
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.availabilityZones = [...azs];
    this.zoneId = zone.zoneId;
    this.zoneName = props.dnsZone;
  }
}
