/**
 * The synthesized Terraform of every layout (prod/dev x zookeeper/kraft): the properties
 * that make it safe and correct, read from the JSON cdktf writes.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { BARS_1M, LAKE_TABLES, RAW_TICKS, hiveType } from '../../../lib/lake.js';
import { readNamedQueries } from '../../../modules/analytics.js';
import { SSH_USER } from '../../../modules/access.js';
import { DEBIAN_AMI_OWNER, EBS_NVME_BY_ID } from '../../../modules/hosts.js';
import { BROKER_DATA_DEVICE, CONTROLLER_FIRST_ID, KAFKA_PORTS } from '../../../modules/kafka-cluster.js';
import { overlyBroadStatements } from '../../../modules/policies.js';
import { zoneNames, type InfraConfig } from '../../../modules/settings.js';
import {
  FIXTURE_QUERIES,
  LAYOUTS,
  configFor,
  documentOf,
  layoutName,
  policyDocuments,
  referencedName,
  resourceConfigs,
  resources,
  synth,
  synthLayout,
  type TerraformJson,
} from './support.js';

type Rec = Record<string, unknown>;
const GIB = 1024 ** 3;

function byRole(json: TerraformJson, role: string): Array<[string, Rec]> {
  return resources(json, 'aws_instance').filter(([, r]) => (r.tags as Rec).Role === role);
}

/** Security groups by their name (`kafka-broker`, `zookeeper`, `instance-connect`, ...) -> logical name. */
function groups(json: TerraformJson): Map<string, string> {
  return new Map(
    resources(json, 'aws_security_group').map(([logical, r]) => [
      String(r.name_prefix).replace(/^tickstream-[a-z0-9-]+?-(?=kafka|zookeeper|services|instance-connect)/, '').replace(/-$/, ''),
      logical,
    ]),
  );
}

/** The AMI data source an instance's `ami` refers to. */
function imageOf(json: TerraformJson, instance: Rec): Rec {
  const name = /^\$\{data\.aws_ami\.([^.]+)\.id\}$/.exec(String(instance.ami))?.[1];
  const ami = name === undefined ? undefined : json.data?.aws_ami?.[name];
  if (!ami) throw new Error(`instance ami is not an aws_ami data source: ${String(instance.ami)}`);
  return ami;
}

function rulesInto(json: TerraformJson, groupLogical: string): Rec[] {
  return resourceConfigs(json, 'aws_vpc_security_group_ingress_rule').filter((r) => referencedName(String(r.security_group_id), 'aws_security_group') === groupLogical);
}

for (const layout of LAYOUTS) {
  describe(`infra stack: ${layoutName(layout)}`, function () {
    this.timeout(60_000);
    let config!: InfraConfig;
    let json!: TerraformJson;
    let text!: string;
    let zones!: string[];
    before(() => {
      ({ config, json, text } = synthLayout(layout));
      zones = zoneNames(config);
    });

    it('pins the AWS provider to the configured region and keeps state outside cdktf.out', () => {
      expect(Testing.toHaveProviderWithProperties(text, 'aws', { region: config.region })).to.equal(true);
      expect(json.terraform.backend).to.deep.equal({ local: { path: `../../../terraform.tickstream-${config.environment}.tfstate` } });
    });

    it('has a private and a public subnet per AZ, hosts only in private ones, NAT as configured', () => {
      const subnets = resourceConfigs(json, 'aws_subnet');
      expect(subnets.filter((s) => (s.tags as Rec).Tier === 'private').map((s) => s.availability_zone)).to.deep.equal(zones);
      expect(subnets.every((s) => s.map_public_ip_on_launch === false)).to.equal(true);
      expect(resources(json, 'aws_nat_gateway')).to.have.length(config.natGatewayPerAz ? config.azCount : 1);
      const privateSubnets = new Set(resources(json, 'aws_subnet').filter(([, s]) => (s.tags as Rec).Tier === 'private').map(([n]) => n));
      for (const instance of resourceConfigs(json, 'aws_instance')) {
        expect(privateSubnets.has(referencedName(String(instance.subnet_id), 'aws_subnet')!)).to.equal(true);
        expect(instance.associate_public_ip_address).to.equal(false);
      }
      expect(Testing.toHaveResourceWithProperties(text, 'aws_vpc_endpoint', { vpc_endpoint_type: 'Gateway', service_name: `com.amazonaws.${config.region}.s3` })).to.equal(true);
      expect(Testing.toHaveResourceWithProperties(text, 'aws_flow_log', { traffic_type: 'ALL' })).to.equal(true);
    });

    it('runs the configured brokers, one gp3 encrypted data volume each, spread over the AZs', () => {
      const brokers = byRole(json, 'broker');
      expect(brokers).to.have.length(config.brokerCount);
      const volumes = resources(json, 'aws_ebs_volume');
      const attachments = resourceConfigs(json, 'aws_volume_attachment');
      for (const [logical, broker] of brokers) {
        expect(broker.instance_type).to.equal(config.brokerInstanceType);
        const attachment = attachments.find((a) => referencedName(String(a.instance_id), 'aws_instance') === logical);
        expect(attachment, `data volume of ${logical}`).to.not.equal(undefined);
        expect(attachment!.device_name).to.equal(BROKER_DATA_DEVICE);
        const volume = volumes.find(([n]) => n === referencedName(String(attachment!.volume_id), 'aws_ebs_volume'))![1];
        expect(volume).to.include({ type: 'gp3', size: config.brokerVolumeGiB, encrypted: true });
        expect(String(volume.kms_key_id)).to.match(/^\$\{aws_kms_key\./);
      }
      expect(volumes).to.have.length(config.brokerCount);
      // Debian names the NVMe data volume by its volume id, not by the mapping's /dev/sdf.
      const inventory = json.output.inventory!.value as { hosts: Record<string, Array<{ name: string; data_device: string }>> };
      for (const b of inventory.hosts.kafka_broker!) {
        expect(b.data_device, b.name).to.match(new RegExp(`^${EBS_NVME_BY_ID}\\$\\{replace\\(aws_ebs_volume\\.[^.]+\\.id, "-", ""\\)\\}$`));
      }
      for (const group of ['zookeeper', 'kafka_controller', 'tickstream_producer', 'tickstream_sink']) {
        for (const h of inventory.hosts[group]!) expect(h.data_device, h.name).to.equal('');
      }
    });

    it('runs every host on the official Debian 12 image of its architecture, looked up by owner and name', () => {
      const instances = resourceConfigs(json, 'aws_instance');
      expect(instances.length).to.be.greaterThan(0);
      for (const i of instances) {
        const ami = imageOf(json, i);
        expect(ami.owners).to.deep.equal([DEBIAN_AMI_OWNER]);
        expect(ami.most_recent).to.equal(true);
        const filters = Object.fromEntries((ami.filter as Array<{ name: string; values: string[] }>).map((f) => [f.name, f.values]));
        expect(filters).to.deep.equal({
          name: ['debian-12-amd64-*'],
          architecture: ['x86_64'],
          'virtualization-type': ['hvm'],
          'root-device-type': ['ebs'],
        });
        // Nothing Amazon-Linux-specific left: user data only names the host.
        expect(String(i.user_data)).to.match(/^#cloud-config\nhostname: [a-z]+-\d+\nfqdn: /);
      }
      expect(json.data).to.not.have.property('aws_ssm_parameter');
      expect(text).to.not.match(/al2023|amzn|amazon-linux|ec2-user|AmazonSSMManagedInstanceCore/i);
    });

    it('lists hosts in the inventory output exactly in the shape of docs/inventory-contract.md', () => {
      const contractText = readFileSync(join(process.cwd(), 'docs', 'inventory-contract.md'), 'utf8');
      const contract = JSON.parse(/```json\n([\s\S]*?)```/.exec(contractText)![1]!) as Rec & { hosts: Record<string, Rec[]> };
      const inventory = json.output.inventory!.value as Rec & { hosts: Record<string, Rec[]> };
      expect(Object.keys(inventory).sort()).to.deep.equal(Object.keys(contract).sort());
      expect(Object.keys(inventory.hosts).sort()).to.deep.equal(Object.keys(contract.hosts).sort());
      const hostKeys = Object.keys(contract.hosts.kafka_broker![0]!).sort();
      for (const list of Object.values(inventory.hosts)) for (const host of list) expect(Object.keys(host).sort()).to.deep.equal(hostKeys);

      expect(inventory).to.include({ environment: config.environment, region: config.region, metadata_mode: layout.mode, kafka_client_port: KAFKA_PORTS.client, lake_prefix: '', ssh_user: SSH_USER });
      expect(inventory.instance_connect_endpoint_id).to.match(/^\$\{aws_ec2_instance_connect_endpoint\.[^.]+\.id\}$/);
      expect(inventory.glue_database).to.match(/^\$\{aws_glue_catalog_database\./);
      const brokers = inventory.hosts.kafka_broker!;
      expect(brokers.map((b) => b.name)).to.deep.equal(brokers.map((_, i) => `broker-${i + 1}`));
      expect(brokers.map((b) => b.id)).to.deep.equal(brokers.map((_, i) => i + 1));
      expect(brokers.map((b) => b.private_dns)).to.deep.equal(brokers.map((_, i) => `broker-${i + 1}.${config.dnsZone}`));
      // rack = AZ: the first azCount brokers sit in distinct zones.
      expect(new Set(brokers.slice(0, config.azCount).map((b) => b.az)).size).to.equal(Math.min(config.azCount, brokers.length));
      expect(brokers.map((b) => b.az)).to.deep.equal(brokers.map((_, i) => zones[i % zones.length]));
      expect(String(brokers[0]!.private_ip)).to.match(/^\$\{aws_instance\.[^.]+\.private_ip\}$/);
      expect(inventory.hosts.tickstream_producer).to.have.length(config.producerCount);
      expect(inventory.hosts.tickstream_sink).to.have.length(config.sinkCount);
    });

    it(`runs the ${layout.mode === 'zookeeper' ? 'ZooKeeper ensemble' : 'KRaft controllers'} and nothing of the other mode`, () => {
      const inventory = json.output.inventory!.value as { hosts: Record<string, Array<{ name: string; id: number }>> };
      const quorum = layout.mode === 'zookeeper' ? inventory.hosts.zookeeper! : inventory.hosts.kafka_controller!;
      const other = layout.mode === 'zookeeper' ? inventory.hosts.kafka_controller! : inventory.hosts.zookeeper!;
      expect(other).to.deep.equal([]);
      expect(quorum).to.have.length(config.metadataNodeCount);
      const role = layout.mode === 'zookeeper' ? 'zk' : 'controller';
      const firstId = layout.mode === 'zookeeper' ? 1 : CONTROLLER_FIRST_ID;
      expect(quorum.map((h) => h.name)).to.deep.equal(quorum.map((_, i) => `${role}-${i + 1}`));
      expect(quorum.map((h) => h.id)).to.deep.equal(quorum.map((_, i) => firstId + i));
      expect(byRole(json, role)).to.have.length(config.metadataNodeCount);
      expect(byRole(json, layout.mode === 'zookeeper' ? 'controller' : 'zk')).to.have.length(0);
      // KRaft node ids are one space for brokers and controllers.
      const brokerIds = new Set((inventory.hosts.kafka_broker ?? []).map((b) => b.id));
      expect(quorum.some((h) => layout.mode === 'kraft' && brokerIds.has(h.id))).to.equal(false);
    });

    it('gives every host a stable private DNS name in the private zone', () => {
      const records = resourceConfigs(json, 'aws_route53_record');
      expect(records).to.have.length(resources(json, 'aws_instance').length);
      for (const r of records) {
        expect(r).to.include({ type: 'A', ttl: 60 });
        expect(String(r.name)).to.match(new RegExp(`^[a-z]+-\\d+\\.${config.dnsZone.replace(/\./g, '\\.')}$`));
        expect(r.records).to.have.length(1);
        expect(String((r.records as string[])[0])).to.match(/\.private_ip\}$/);
      }
      const zone = resourceConfigs(json, 'aws_route53_zone')[0]!;
      expect(zone.name).to.equal(config.dnsZone);
      expect(zone.vpc).to.have.length(1);
    });

    it('hardens every instance: IMDSv2, encrypted root, instance profile, the admin key pair by name', () => {
      const keyPairs = resources(json, 'aws_key_pair');
      expect(keyPairs).to.have.length(1);
      const [keyLogical, keyPair] = keyPairs[0]!;
      expect(keyPair).to.include({ key_name: `tickstream-${config.environment}-admin`, public_key: config.sshPublicKey });
      for (const i of resourceConfigs(json, 'aws_instance')) {
        expect(i.metadata_options).to.deep.include({ http_tokens: 'required' });
        expect(i.root_block_device).to.deep.include({ encrypted: true, volume_type: 'gp3' });
        expect(String(i.iam_instance_profile)).to.match(/^\$\{aws_iam_instance_profile\./);
        // A literal name, so a new public key replaces the key pair and not the instances.
        expect(i.key_name).to.equal(keyPair.key_name);
        expect(i.depends_on).to.include(`aws_key_pair.${keyLogical}`);
        expect(i).to.include({ monitoring: true, ebs_optimized: true });
        expect((i.lifecycle as Rec).ignore_changes).to.deep.equal(['ami', 'user_data']);
      }
    });

    it('opens no port to the internet, and SSH only from the Instance Connect Endpoint', () => {
      const g = groups(json);
      const endpointGroup = g.get('instance-connect')!;
      const endpoint = resourceConfigs(json, 'aws_ec2_instance_connect_endpoint');
      expect(endpoint).to.have.length(1);
      expect(endpoint[0]!.preserve_client_ip).to.equal(false);
      expect((endpoint[0]!.security_group_ids as string[]).map((s) => referencedName(s, 'aws_security_group'))).to.deep.equal([endpointGroup]);
      const ingress = resourceConfigs(json, 'aws_vpc_security_group_ingress_rule');
      for (const r of ingress) {
        expect(r.cidr_ipv4, JSON.stringify(r)).to.not.equal('0.0.0.0/0');
        expect(r).to.not.have.property('cidr_ipv6');
        expect(r.ip_protocol).to.equal('tcp');
        if (r.from_port === 22) expect(referencedName(String(r.referenced_security_group_id), 'aws_security_group'), JSON.stringify(r)).to.equal(endpointGroup);
      }
      // Every host group takes SSH from the endpoint; the endpoint accepts nothing.
      const hostGroups = [...g].filter(([n]) => n !== 'instance-connect' && n !== 'kafka-client').map(([, logical]) => logical);
      for (const logical of hostGroups) expect(rulesInto(json, logical).filter((r) => r.from_port === 22), logical).to.have.length(1);
      expect(rulesInto(json, endpointGroup)).to.deep.equal([]);
      const endpointOut = resourceConfigs(json, 'aws_vpc_security_group_egress_rule').filter((r) => referencedName(String(r.security_group_id), 'aws_security_group') === endpointGroup);
      expect(endpointOut.map((r) => [r.from_port, r.to_port])).to.deep.equal(hostGroups.map(() => [22, 22]));
      for (const sg of resourceConfigs(json, 'aws_security_group')) expect(sg).to.not.have.property('ingress');
      const egress = resourceConfigs(json, 'aws_vpc_security_group_egress_rule');
      for (const r of egress.filter((e) => e.cidr_ipv4 !== undefined)) expect(r).to.include({ from_port: 443, to_port: 443 });
      const defaultSg = resourceConfigs(json, 'aws_default_security_group')[0]!;
      expect(defaultSg).to.not.have.property('ingress');
      expect(defaultSg).to.not.have.property('egress');
    });

    it('lets only the client group reach the client ports, and only brokers reach the metadata quorum', () => {
      const g = groups(json);
      const sourceOf = (r: Rec): string | null => referencedName(String(r.referenced_security_group_id), 'aws_security_group');
      const notSsh = (r: Rec): boolean => r.from_port !== 22;
      const brokerRules = rulesInto(json, g.get('kafka-broker')!).filter(notSsh);
      // Exactly the secure listeners: SASL_SSL clients, TLS replication; no plaintext 9092.
      expect([...new Set(brokerRules.map((r) => r.from_port))].sort()).to.deep.equal([KAFKA_PORTS.replication, KAFKA_PORTS.client].sort());
      const clientSources = brokerRules.filter((r) => r.from_port === KAFKA_PORTS.client).map(sourceOf);
      expect(clientSources.sort()).to.deep.equal([g.get('kafka-broker'), g.get('kafka-client')].sort());
      expect(brokerRules.filter((r) => r.from_port === KAFKA_PORTS.replication).map(sourceOf)).to.deep.equal([g.get('kafka-broker')]);

      const metadataGroup = g.get(layout.mode === 'zookeeper' ? 'zookeeper' : 'kafka-controller')!;
      const metadataRules = rulesInto(json, metadataGroup).filter(notSsh);
      const expected =
        layout.mode === 'zookeeper'
          ? [
              [KAFKA_PORTS.zookeeperClient, g.get('kafka-broker')],
              [KAFKA_PORTS.zookeeperQuorum, metadataGroup],
              [KAFKA_PORTS.zookeeperElection, metadataGroup],
            ]
          : [
              [KAFKA_PORTS.controller, g.get('kafka-broker')],
              [KAFKA_PORTS.controller, metadataGroup],
            ];
      expect(metadataRules.map((r) => [r.from_port, sourceOf(r)]).sort()).to.deep.equal(expected.sort());
      // The services group receives nothing but SSH without admin ranges.
      expect(rulesInto(json, g.get('services')!).filter(notSsh)).to.deep.equal([]);
      const apps = [...byRole(json, 'producer'), ...byRole(json, 'sink')].map(([, r]) => r.vpc_security_group_ids as string[]);
      for (const sgs of apps) expect(sgs.map((s) => referencedName(s, 'aws_security_group')).sort()).to.deep.equal([g.get('kafka-client'), g.get('services')].sort());
    });

    it('blocks public access, encrypts with KMS, versions, and enforces TLS on every bucket', () => {
      const buckets = resources(json, 'aws_s3_bucket').map(([n]) => n);
      expect(buckets).to.have.length(3);
      const forBucket = (type: string, bucket: string): Rec | undefined =>
        resourceConfigs(json, type).find((r) => referencedName(String(r.bucket), 'aws_s3_bucket') === bucket);
      for (const b of buckets) {
        expect(forBucket('aws_s3_bucket_public_access_block', b), b).to.include({
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        });
        const sse = (forBucket('aws_s3_bucket_server_side_encryption_configuration', b)!.rule as Rec[])[0]!;
        expect(sse.bucket_key_enabled).to.equal(true);
        expect((sse.apply_server_side_encryption_by_default as Rec).sse_algorithm).to.equal('aws:kms');
        expect(String((sse.apply_server_side_encryption_by_default as Rec).kms_master_key_id)).to.match(/^\$\{aws_kms_key\./);
        expect(forBucket('aws_s3_bucket_versioning', b)!.versioning_configuration).to.deep.equal({ status: 'Enabled' });
        expect(forBucket('aws_s3_bucket_ownership_controls', b)!.rule).to.deep.equal({ object_ownership: 'BucketOwnerEnforced' });
        const policy = documentOf(json, forBucket('aws_s3_bucket_policy', b)!.policy);
        const deny = policy.Statement.find((s) => s.Sid === 'DenyInsecureTransport')!;
        expect(deny).to.deep.include({ Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
        expect(deny.Resource).to.deep.equal([`\${aws_s3_bucket.${b}.arn}`, `\${aws_s3_bucket.${b}.arn}/*`]);
        const rules = forBucket('aws_s3_bucket_lifecycle_configuration', b)!.rule as Rec[];
        expect(rules.some((r) => (r.filter as Rec[])[0]!.prefix === '' && r.abort_incomplete_multipart_upload !== undefined), b).to.equal(true);
      }
      for (const kms of resourceConfigs(json, 'aws_kms_key')) expect(kms).to.include({ enable_key_rotation: true });
      // Every bucket but the log bucket logs its access there.
      expect(resourceConfigs(json, 'aws_s3_bucket_logging')).to.have.length(2);
      expect(json.output).to.not.have.property('ansible_ssm_bucket');
    });

    it('lets the S3 gateway endpoint reach the lake bucket only, for this account only', () => {
      const endpoint = resourceConfigs(json, 'aws_vpc_endpoint').find((e) => e.vpc_endpoint_type === 'Gateway')!;
      const doc = documentOf(json, endpoint.policy);
      expect(doc.Statement).to.have.length(1);
      const [s] = doc.Statement;
      expect(s).to.deep.include({ Effect: 'Allow', Principal: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': '${data.aws_caller_identity.account.account_id}' } } });
      const lake = resources(json, 'aws_s3_bucket').find(([, r]) => String(r.bucket).includes('-lake-'))![0];
      expect(s!.Resource).to.deep.equal([`\${aws_s3_bucket.${lake}.arn}`, `\${aws_s3_bucket.${lake}.arn}/*`]);
      expect(([] as string[]).concat(s!.Action as string).every((a) => a.startsWith('s3:') && !a.includes('*'))).to.equal(true);
    });

    it('tiers raw ticks, keeps the lake unless asked, and expires query results', () => {
      const bucketNamed = (suffix: string): string => resources(json, 'aws_s3_bucket').find(([, r]) => String(r.bucket).includes(`-${suffix}-`))![0];
      const lifecycleOf = (bucket: string): Rec[] =>
        resourceConfigs(json, 'aws_s3_bucket_lifecycle_configuration').find((r) => referencedName(String(r.bucket), 'aws_s3_bucket') === bucket)!.rule as Rec[];
      const raw = lifecycleOf(bucketNamed('lake')).find((r) => r.id === 'raw-tiering')!;
      expect(raw.transition).to.deep.equal([
        { days: config.rawInfrequentAccessDays, storage_class: 'STANDARD_IA' },
        { days: config.rawArchiveDays, storage_class: config.rawArchiveClass },
      ]);
      expect(raw.expiration).to.deep.equal(config.rawExpireDays > 0 ? [{ days: config.rawExpireDays }] : undefined);
      const results = lifecycleOf(bucketNamed('athena-results'))[0]!;
      expect(results.expiration).to.deep.equal([{ days: config.resultsExpireDays }]);
      const lake = resourceConfigs(json, 'aws_s3_bucket').find((r) => String(r.bucket).includes('-lake-'))!;
      expect(lake.force_destroy).to.equal(config.forceDestroyBuckets);
      expect(String(lake.bucket)).to.equal(`tickstream-${config.environment}-lake-\${data.aws_caller_identity.account.account_id}`);
    });

    it('grants no "*" action, and no service wildcard on "*", in any policy', () => {
      const docs = policyDocuments(json);
      expect(docs.length).to.be.greaterThan(10);
      for (const { where, doc } of docs) expect(overlyBroadStatements(doc), where).to.deep.equal([]);
    });

    it('gives S3 access only to the sink (write and delete, its prefixes and state) and the crawler (read)', () => {
      const roles = new Map(resources(json, 'aws_iam_role').map(([n, r]) => [n, String(r.name)]));
      const s3Grants = resourceConfigs(json, 'aws_iam_role_policy')
        .map((p) => ({ role: roles.get(referencedName(String(p.role), 'aws_iam_role')!)!, doc: documentOf(json, p.policy) }))
        .filter(({ doc }) => doc.Statement.some((s) => ([] as string[]).concat(s.Action as string).some((a) => a.startsWith('s3:'))));
      expect(s3Grants.map((g) => g.role).sort()).to.deep.equal([`tickstream-${config.environment}-glue-crawler`, `tickstream-${config.environment}-sink`]);
      for (const { role, doc } of s3Grants) {
        const objectArns = doc.Statement.filter((s) => ([] as string[]).concat(s.Action as string).some((a) => a.endsWith('Object'))).flatMap((s) => ([] as string[]).concat(s.Resource as string));
        const isSink = role.endsWith('-sink');
        expect(objectArns.map((a) => a.replace(/^\$\{[^}]+\}/, '')), role).to.deep.equal(
          isSink ? ['/raw/*', '/processed/*', '/_sink/*'] : ['/raw/*', '/processed/*'],
        );
        const writes = doc.Statement.flatMap((s) => ([] as string[]).concat(s.Action as string)).filter((a) => /^s3:(Put|Delete)/.test(a));
        expect(writes, role).to.deep.equal(isSink ? ['s3:PutObject', 's3:DeleteObject'] : []);
      }
      // Hosts other than the sink have no grant at all: no managed policy, no parameter read
      // (the Ansible controller reads the secrets), nothing inline.
      const hostRoles = [...roles].filter(([, name]) => /-(producer|kafka-broker|kafka-zk|kafka-controller)$/.test(name)).map(([n]) => n);
      expect(hostRoles).to.have.length(3);
      for (const role of hostRoles) {
        expect(resourceConfigs(json, 'aws_iam_role_policy').filter((p) => referencedName(String(p.role), 'aws_iam_role') === role), role).to.deep.equal([]);
      }
      expect(resources(json, 'aws_iam_role_policy_attachment')).to.deep.equal([]);
      const grants = resourceConfigs(json, 'aws_iam_role_policy').map((p) => JSON.stringify(documentOf(json, p.policy)));
      expect(grants.filter((g) => /"ssm:/.test(g))).to.deep.equal([]);
    });

    it('trusts Glue without aws:SourceAccount (CreateCrawler could not assume the role) and pins flow logs to the account', () => {
      const trustOf = (suffix: string): ReturnType<typeof documentOf> =>
        documentOf(json, resources(json, 'aws_iam_role').find(([, r]) => String(r.name).endsWith(suffix))![1].assume_role_policy);
      const glue = trustOf('-glue-crawler').Statement[0]!;
      expect(glue).to.deep.include({ Principal: { Service: 'glue.amazonaws.com' }, Action: 'sts:AssumeRole' });
      expect(glue).to.not.have.property('Condition');
      const flowLogs = trustOf('-vpc-flow-logs').Statement[0]!;
      expect(flowLogs.Condition).to.deep.equal({ StringEquals: { 'aws:SourceAccount': '${data.aws_caller_identity.account.account_id}' } });
    });

    it('declares the lake tables with the columns the sink writes and dt projected as a date', () => {
      for (const table of LAKE_TABLES) {
        const t = resourceConfigs(json, 'aws_glue_catalog_table').find((r) => r.name === table.name)!;
        const sd = t.storage_descriptor as Rec;
        expect(sd.columns).to.deep.equal(table.columns.map((c) => ({ name: c.name, type: hiveType(c.type), comment: c.doc })));
        expect(t.partition_keys).to.deep.equal([{ name: 'dt', type: 'string', comment: 'event date (UTC), the dt= folder, YYYY-MM-DD' }]);
        expect(String(sd.location)).to.match(new RegExp(`^s3://\\$\\{aws_s3_bucket\\.lake_bucket_[^}]+\\.bucket\\}/${table.prefix}/$`));
        expect((sd.ser_de_info as Rec).serialization_library).to.equal('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
        const p = t.parameters as Record<string, string>;
        expect(p).to.include({
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': `${config.partitionStartDate},NOW`,
          classification: 'parquet',
        });
        expect(p['storage.location.template']).to.equal(`${String(sd.location)}dt=$\${dt}/`);
      }
      expect(LAKE_TABLES.map((t) => t.name)).to.deep.equal([RAW_TICKS.name, BARS_1M.name]);
    });

    it('crawls raw/ and processed/ on a schedule, logging schema changes instead of applying them', () => {
      const crawlers = resourceConfigs(json, 'aws_glue_crawler');
      expect(crawlers.map((c) => String((c.s3_target as Rec[])[0]!.path).replace(/^s3:\/\/[^/]+/, '')).sort()).to.deep.equal(['/processed/', '/raw/']);
      for (const c of crawlers) {
        expect(c.schedule).to.equal(config.crawlerSchedule);
        expect(c.schema_change_policy).to.deep.equal({ update_behavior: 'LOG', delete_behavior: 'LOG' });
        expect(c.recrawl_policy).to.deep.equal({ recrawl_behavior: 'CRAWL_NEW_FOLDERS_ONLY' });
        expect(String(c.security_configuration)).to.match(/^\$\{aws_glue_security_configuration\./);
        const role = resources(json, 'aws_iam_role').find(([n]) => n === referencedName(String(c.role), 'aws_iam_role'))![1];
        expect(role.name).to.equal(`tickstream-${config.environment}-glue-crawler`);
        expect(documentOf(json, role.assume_role_policy)).to.have.nested.property('Statement[0].Principal.Service', 'glue.amazonaws.com');
      }
    });

    it('enforces the workgroup result location, encryption and scan cap, with metrics', () => {
      const wg = resourceConfigs(json, 'aws_athena_workgroup')[0]!;
      const c = wg.configuration as Rec;
      expect(c).to.include({ enforce_workgroup_configuration: true, publish_cloudwatch_metrics_enabled: true, bytes_scanned_cutoff_per_query: config.athenaScanLimitGiB * GIB });
      const result = c.result_configuration as Rec;
      expect(String(result.output_location)).to.match(new RegExp(`^s3://\\$\\{aws_s3_bucket\\.lake_results_bucket_[^}]+\\}/results/$`));
      expect((result.encryption_configuration as Rec).encryption_option).to.equal('SSE_KMS');
    });

    it('registers each query file as a named query in the workgroup', () => {
      const fixtures = readNamedQueries(FIXTURE_QUERIES);
      const named = resourceConfigs(json, 'aws_athena_named_query');
      const byName = (a: { name: unknown }, b: { name: unknown }): number => String(a.name).localeCompare(String(b.name));
      expect(named.map((q) => ({ name: q.name, description: q.description, query: q.query })).sort(byName)).to.deep.equal(
        fixtures.map((q) => ({ name: q.name, description: q.description, query: q.sql })).sort(byName),
      );
      expect(fixtures).to.have.length(2);
      for (const q of named) {
        expect(String(q.workgroup)).to.match(/^\$\{aws_athena_workgroup\./);
        expect(String(q.database)).to.match(/^\$\{aws_glue_catalog_database\./);
      }
    });
  });
}

describe('infra stack: options', function () {
  this.timeout(60_000);

  it('registers every file of analytics/queries/ as found at synth time, escaped for Terraform', () => {
    const dir = join(process.cwd(), 'analytics', 'queries');
    const queries = [...readNamedQueries(dir), { name: 'templated', description: 'x', sql: "SELECT '${not_terraform}'" }];
    const { json } = synth(configFor(LAYOUTS[2]), queries);
    const named = resourceConfigs(json, 'aws_athena_named_query');
    expect(named.map((q) => q.name).sort()).to.deep.equal(queries.map((q) => q.name).sort());
    expect(named.find((q) => q.name === 'templated')!.query).to.equal("SELECT '$${not_terraform}'");
    expect(resourceConfigs(synth(configFor(LAYOUTS[2]), []).json, 'aws_athena_named_query')).to.deep.equal([]);
  });

  it('opens the services\' metrics ports, and only those, to configured admin ranges', () => {
    const { json } = synth(configFor(LAYOUTS[0], { TICKSTREAM_INFRA_ADMIN_CIDRS: '10.99.0.0/16' }));
    const fromCidrs = resourceConfigs(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.cidr_ipv4 !== undefined);
    expect(new Set(fromCidrs.map((r) => r.cidr_ipv4))).to.deep.equal(new Set(['10.99.0.0/16']));
    // No exporter runs on the hosts (no 9100 node_exporter, no 7071 JMX exporter).
    expect(fromCidrs.map((r) => r.from_port).sort()).to.deep.equal([9464, 9465]);
    // One sink worker per core, each with its own port (ansible: tickstream_service_workers).
    expect(fromCidrs.map((r) => `${r.from_port}-${r.to_port}`).sort()).to.deep.equal(['9464-9464', '9465-9480']);
    const services = resources(json, 'aws_security_group').find(([, r]) => String(r.name_prefix).endsWith('-services-'))![0];
    expect(fromCidrs.every((r) => referencedName(String(r.security_group_id), 'aws_security_group') === services)).to.equal(true);
  });

  it('names security groups by prefix, so a replacement can be created before the old group is gone', () => {
    const { json } = synthLayout(LAYOUTS[0]);
    const sgs = resourceConfigs(json, 'aws_security_group');
    expect(sgs.length).to.be.greaterThan(4);
    for (const sg of sgs) {
      expect(sg).to.not.have.property('name');
      expect(String(sg.name_prefix)).to.match(/^tickstream-prod-[a-z-]+-$/);
      expect((sg.lifecycle as Rec).create_before_destroy).to.equal(true);
      expect((sg.tags as Rec).Name).to.equal(String(sg.name_prefix).slice(0, -1));
    }
  });

  it('puts tables, crawlers and sink grants under a lake prefix, and uses given bucket names', () => {
    const { json } = synth(
      configFor(LAYOUTS[2], { TICKSTREAM_INFRA_LAKE_PREFIX: 'market', TICKSTREAM_INFRA_LAKE_BUCKET: 'acme-lake', TICKSTREAM_INFRA_RESULTS_BUCKET: 'acme-results' }),
    );
    const ticks = resourceConfigs(json, 'aws_glue_catalog_table').find((t) => t.name === 'ticks')!;
    const lakeRef = '${aws_s3_bucket.lake_bucket_666EA5BD.bucket}';
    expect(resources(json, 'aws_s3_bucket').find(([n]) => lakeRef.includes(n))![1].bucket).to.equal('acme-lake');
    expect((ticks.storage_descriptor as Rec).location).to.equal(`s3://${lakeRef}/market/raw/ticks/`);
    expect(resourceConfigs(json, 'aws_glue_crawler').map((c) => (c.s3_target as Rec[])[0]!.path).sort()).to.deep.equal([`s3://${lakeRef}/market/processed/`, `s3://${lakeRef}/market/raw/`]);
    const inventory = json.output.inventory!.value as Rec;
    expect(inventory.lake_prefix).to.equal('market');
    expect(json.output.lake_uri!.value).to.match(/^s3:\/\/\$\{aws_s3_bucket\.[^}]+\}\/market\/$/);
    const sink = resourceConfigs(json, 'aws_iam_role_policy').find((p) => String(p.name) === 'write-lake-prefixes')!;
    expect(JSON.stringify(documentOf(json, sink.policy))).to.contain('/market/raw/*').and.to.contain('/market/processed/*');
    const logPolicy = resourceConfigs(json, 'aws_s3_bucket_policy').map((p) => JSON.stringify(documentOf(json, p.policy))).find((p) => p.includes('AllowS3ServerAccessLogs'))!;
    expect(logPolicy).to.contain('arn:aws:s3:::acme-lake').and.to.contain('arn:aws:s3:::acme-results');
  });

  it('projects dt=YYYY partitions for a year-partitioned lake, and hands the partitioning to the sinks', () => {
    const { json } = synth(configFor(LAYOUTS[0], { TICKSTREAM_INFRA_LAKE_PARTITIONING: 'year', TICKSTREAM_INFRA_PARTITION_START: '1965-12-31' }));
    for (const table of LAKE_TABLES) {
      const t = resourceConfigs(json, 'aws_glue_catalog_table').find((r) => r.name === table.name)!;
      expect(t.parameters).to.include({
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy',
        'projection.dt.range': '1965,NOW',
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'YEARS',
      });
      expect(t.partition_keys).to.deep.equal([{ name: 'dt', type: 'string', comment: 'event year (UTC), the dt= folder, YYYY' }]);
    }
    expect((json.output.inventory!.value as Rec).lake_partitioning).to.equal('year');
    expect(() => configFor(LAYOUTS[0], { TICKSTREAM_INFRA_LAKE_PARTITIONING: 'week' })).to.throw(/TICKSTREAM_INFRA_LAKE_PARTITIONING/);
  });

  it('keeps state in an S3 bucket with locking when one is configured', () => {
    const { json } = synth(configFor(LAYOUTS[0], { TICKSTREAM_INFRA_STATE_BUCKET: 'acme-tfstate' }));
    expect(json.terraform.backend).to.deep.equal({
      s3: { bucket: 'acme-tfstate', key: 'tickstream/tickstream-prod.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true },
    });
  });

  it('uses Debian\'s arm64 images for Graviton instance types', () => {
    const { json } = synth(configFor(LAYOUTS[2], { TICKSTREAM_INFRA_BROKER_INSTANCE_TYPE: 'm7g.large' }));
    const filtersOf = (role: string): Array<Record<string, string[]>> =>
      byRole(json, role).map(([, i]) => Object.fromEntries((imageOf(json, i).filter as Array<{ name: string; values: string[] }>).map((f) => [f.name, f.values])));
    expect(filtersOf('broker').map((f) => [f.name, f.architecture])).to.deep.equal([[['debian-12-arm64-*'], ['arm64']]]);
    expect(filtersOf('zk').map((f) => [f.name, f.architecture])).to.deep.equal([[['debian-12-amd64-*'], ['x86_64']]]);
    expect(Object.keys(json.data!.aws_ami!)).to.have.length(2);
  });
});
