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

/** Security groups by their name suffix (`kafka-broker`, `zookeeper`, ...) -> logical name. */
function groups(json: TerraformJson): Map<string, string> {
  return new Map(resources(json, 'aws_security_group').map(([logical, r]) => [String(r.name).replace(/^tickstream-[a-z0-9-]+?-(?=kafka|zookeeper|services)/, ''), logical]));
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
    });

    it('lists hosts in the inventory output exactly in the shape of docs/inventory-contract.md', () => {
      const contractText = readFileSync(join(process.cwd(), 'docs', 'inventory-contract.md'), 'utf8');
      const contract = JSON.parse(/```json\n([\s\S]*?)```/.exec(contractText)![1]!) as Rec & { hosts: Record<string, Rec[]> };
      const inventory = json.output.inventory!.value as Rec & { hosts: Record<string, Rec[]> };
      expect(Object.keys(inventory).sort()).to.deep.equal(Object.keys(contract).sort());
      expect(Object.keys(inventory.hosts).sort()).to.deep.equal(Object.keys(contract.hosts).sort());
      const hostKeys = Object.keys(contract.hosts.kafka_broker![0]!).sort();
      for (const list of Object.values(inventory.hosts)) for (const host of list) expect(Object.keys(host).sort()).to.deep.equal(hostKeys);

      expect(inventory).to.include({ environment: config.environment, region: config.region, metadata_mode: layout.mode, kafka_client_port: KAFKA_PORTS.client, lake_prefix: '' });
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

    it('hardens every instance: IMDSv2, encrypted root, instance profile, no SSH key', () => {
      for (const i of resourceConfigs(json, 'aws_instance')) {
        expect(i.metadata_options).to.deep.include({ http_tokens: 'required' });
        expect(i.root_block_device).to.deep.include({ encrypted: true, volume_type: 'gp3' });
        expect(String(i.iam_instance_profile)).to.match(/^\$\{aws_iam_instance_profile\./);
        expect(i).to.not.have.property('key_name');
        expect(i).to.include({ monitoring: true, ebs_optimized: true });
        expect((i.lifecycle as Rec).ignore_changes).to.deep.equal(['ami', 'user_data']);
      }
    });

    it('opens no port to the internet and no SSH at all', () => {
      const ingress = resourceConfigs(json, 'aws_vpc_security_group_ingress_rule');
      for (const r of ingress) {
        expect(r.cidr_ipv4, JSON.stringify(r)).to.not.equal('0.0.0.0/0');
        expect(r).to.not.have.property('cidr_ipv6');
        expect(r.from_port).to.not.equal(22);
        expect(r.ip_protocol).to.equal('tcp');
      }
      for (const sg of resourceConfigs(json, 'aws_security_group')) expect(sg).to.not.have.property('ingress');
      const egress = resourceConfigs(json, 'aws_vpc_security_group_egress_rule');
      for (const r of egress.filter((e) => e.cidr_ipv4 !== undefined)) expect(r).to.include({ from_port: 443, to_port: 443 });
      const defaultSg = resourceConfigs(json, 'aws_default_security_group')[0]!;
      expect(defaultSg).to.not.have.property('ingress');
      expect(defaultSg).to.not.have.property('egress');
    });

    it('lets only the client group reach the client ports, and only brokers reach the metadata quorum', () => {
      const g = groups(json);
      const brokerRules = rulesInto(json, g.get('kafka-broker')!);
      for (const port of [KAFKA_PORTS.client, KAFKA_PORTS.clientTls]) {
        const sources = brokerRules.filter((r) => r.from_port === port).map((r) => referencedName(String(r.referenced_security_group_id), 'aws_security_group'));
        expect(sources.sort(), `port ${port}`).to.deep.equal([g.get('kafka-broker'), g.get('kafka-client')].sort());
      }
      expect(brokerRules.every((r) => r.referenced_security_group_id !== undefined)).to.equal(true);

      const metadataGroup = g.get(layout.mode === 'zookeeper' ? 'zookeeper' : 'kafka-controller')!;
      const metadataRules = rulesInto(json, metadataGroup);
      const clientPort = layout.mode === 'zookeeper' ? KAFKA_PORTS.zookeeperClient : KAFKA_PORTS.controller;
      const fromBrokers = metadataRules.filter((r) => r.from_port === clientPort && referencedName(String(r.referenced_security_group_id), 'aws_security_group') === g.get('kafka-broker'));
      expect(fromBrokers).to.have.length(1);
      for (const r of metadataRules) {
        const source = referencedName(String(r.referenced_security_group_id), 'aws_security_group');
        expect([g.get('kafka-broker'), metadataGroup], JSON.stringify(r)).to.include(source);
      }
      // The services group receives nothing without admin ranges.
      expect(rulesInto(json, g.get('services')!)).to.deep.equal([]);
      const apps = [...byRole(json, 'producer'), ...byRole(json, 'sink')].map(([, r]) => r.vpc_security_group_ids as string[]);
      for (const sgs of apps) expect(sgs.map((s) => referencedName(s, 'aws_security_group')).sort()).to.deep.equal([g.get('kafka-client'), g.get('services')].sort());
    });

    it('blocks public access, encrypts with KMS, versions, and enforces TLS on every bucket', () => {
      const buckets = resources(json, 'aws_s3_bucket').map(([n]) => n);
      expect(buckets).to.have.length(4);
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
      expect(resourceConfigs(json, 'aws_s3_bucket_logging')).to.have.length(3);
      const transfer = resourceConfigs(json, 'aws_s3_bucket').find((r) => String(r.bucket).includes('-ssm-transfer-'))!;
      expect(json.output.ansible_ssm_bucket!.value).to.match(/^\$\{aws_s3_bucket\.lake_transfer_bucket_[^.]+\.bucket\}$/);
      expect(transfer.force_destroy).to.equal(true);
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
      const producerRole = [...roles].find(([, name]) => name.endsWith('-producer'))![0];
      expect(resourceConfigs(json, 'aws_iam_role_policy').filter((p) => referencedName(String(p.role), 'aws_iam_role') === producerRole)).to.deep.equal([]);
      const ssm = resourceConfigs(json, 'aws_iam_role_policy_attachment');
      expect(ssm).to.have.length(4);
      expect(ssm.every((a) => a.policy_arn === 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore')).to.equal(true);
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

  it('opens the metrics ports, and only those, to configured admin ranges', () => {
    const { json } = synth(configFor(LAYOUTS[0], { TICKSTREAM_INFRA_ADMIN_CIDRS: '10.99.0.0/16' }));
    const fromCidrs = resourceConfigs(json, 'aws_vpc_security_group_ingress_rule').filter((r) => r.cidr_ipv4 !== undefined);
    expect(fromCidrs.length).to.be.greaterThan(0);
    expect(new Set(fromCidrs.map((r) => r.cidr_ipv4))).to.deep.equal(new Set(['10.99.0.0/16']));
    expect(new Set(fromCidrs.map((r) => r.from_port))).to.deep.equal(new Set([9100, 7071, 9464, 9465]));
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

  it('keeps state in an S3 bucket with locking when one is configured', () => {
    const { json } = synth(configFor(LAYOUTS[0], { TICKSTREAM_INFRA_STATE_BUCKET: 'acme-tfstate' }));
    expect(json.terraform.backend).to.deep.equal({
      s3: { bucket: 'acme-tfstate', key: 'tickstream/tickstream-prod.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true },
    });
  });

  it('uses Graviton images for Graviton instance types', () => {
    const { json } = synth(configFor(LAYOUTS[2], { TICKSTREAM_INFRA_BROKER_INSTANCE_TYPE: 'm7g.large' }));
    const parameters = json.data!.aws_ssm_parameter!;
    const imageOf = (role: string): string[] =>
      byRole(json, role).map(([, i]) => String(parameters[/^\$\{data\.aws_ssm_parameter\.([^.]+)\.value\}$/.exec(String(i.ami))![1]!]!.name));
    expect(imageOf('broker')).to.deep.equal(['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64']);
    expect(imageOf('zk')).to.deep.equal(['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64']);
  });
});
