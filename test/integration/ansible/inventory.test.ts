/**
 * Inventory generation from the Terraform outputs of the infrastructure stack
 * (docs/inventory-contract.md): the script reads both output shapes (cdktf's outputs file
 * and `terraform output -json`), writes a YAML inventory or serves as a dynamic inventory
 * script, and what Ansible reads from it is what the roles need: groups, node ids, racks,
 * private DNS names, data volumes, SSH as `admin` through the EC2 Instance Connect Endpoint,
 * a stable KRaft cluster id.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SSH_USER } from '../../../modules/access.js';
import { EBS_NVME_BY_ID } from '../../../modules/hosts.js';
import { BROKER_DATA_DEVICE, CONTROLLER_FIRST_ID, KAFKA_PORTS } from '../../../modules/kafka-cluster.js';
import { PROJECT_ROOT, pythonTool } from '../../support/tools.js';
import { ANSIBLE_DIR } from './support.js';

/** A private key path the inventory passes through to Ansible (never read by the test). */
const KEY_FILE = join(homedir(), '.ssh', 'tickstream');

const run = promisify(execFile);
const SCRIPT = join(ANSIBLE_DIR, 'inventory', 'terraform_inventory.py');
const FIXTURES = join(PROJECT_ROOT, 'test', 'integration', 'ansible', 'fixtures');
const ZK_OUTPUTS = join(FIXTURES, 'outputs-cdktf-zookeeper.json');
const KRAFT_OUTPUTS = join(FIXTURES, 'outputs-terraform-kraft.json');
const AWS_EC2 = join(ANSIBLE_DIR, 'inventory', 'aws_ec2.yml');

interface InventoryList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

/** The Python of the Ansible tools (the generator needs only its standard library). */
function python(): string {
  return pythonTool('python3');
}

async function ansibleInventory(source: string, env: Record<string, string> = {}): Promise<InventoryList> {
  const { stdout } = await run(pythonTool('ansible-inventory'), ['-i', source, '--list'], {
    env: { ...process.env, ...env, ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as InventoryList;
}

function groupHosts(list: InventoryList, group: string): string[] {
  return ((list[group] as { hosts?: string[] } | undefined)?.hosts ?? []).slice().sort();
}

describe('inventory from the Terraform outputs', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-inventory-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a YAML inventory from a cdktf outputs file (ZooKeeper mode) that Ansible reads back', async () => {
    const hostsFile = join(dir, 'hosts.yml');
    await run(python(), [SCRIPT, '--outputs', ZK_OUTPUTS, '--write', hostsFile]);
    const list = await ansibleInventory(hostsFile);
    expect(groupHosts(list, 'zookeeper')).to.deep.equal(['zk-1', 'zk-2', 'zk-3']);
    expect(groupHosts(list, 'kafka_broker')).to.deep.equal(['broker-1', 'broker-2', 'broker-3']);
    expect(groupHosts(list, 'kafka_controller')).to.deep.equal([]);
    expect(groupHosts(list, 'tickstream_producer')).to.deep.equal(['producer-1']);
    expect(groupHosts(list, 'tickstream_sink')).to.deep.equal(['sink-1']);

    const source = JSON.parse(readFileSync(ZK_OUTPUTS, 'utf8'))['tickstream-prod'].inventory;
    const broker2 = source.hosts.kafka_broker[1];
    const hv = list._meta.hostvars['broker-2']!;
    expect(hv).to.include({
      node_id: 2,
      private_dns: broker2.private_dns,
      private_ip: broker2.private_ip,
      az: broker2.az,
      instance_id: broker2.instance_id,
      ansible_host: broker2.instance_id,
      ansible_connection: 'ssh',
      ansible_user: SSH_USER,
      kafka_metadata_mode: 'zookeeper',
      kafka_client_port: KAFKA_PORTS.client,
      tickstream_environment: 'prod',
    });
    // SSH through the stack's endpoint: the tunnel to the instance id (%h = ansible_host).
    expect(hv.ansible_ssh_common_args).to.equal(
      `-o ProxyCommand='aws ec2-instance-connect open-tunnel --instance-id %h --instance-connect-endpoint-id ${source.instance_connect_endpoint_id} --region eu-west-1' -o StrictHostKeyChecking=accept-new`,
    );
    expect(hv).to.not.have.property('kafka_cluster_id');
    expect(hv).to.not.have.property('ansible_ssh_private_key_file');
    // The broker's own data volume by its udev name (Debian has no /dev/sdf link).
    expect(hv.kafka_broker_data_device).to.equal(broker2.data_device);
    expect(String(hv.kafka_broker_data_device)).to.match(new RegExp(`^${EBS_NVME_BY_ID}vol0[0-9a-f]+$`));
    expect(list._meta.hostvars['broker-1']!.kafka_broker_data_device).to.not.equal(hv.kafka_broker_data_device);
    expect(list._meta.hostvars['zk-1']!).to.not.have.property('kafka_broker_data_device');
    expect(list._meta.hostvars['sink-1']!.tickstream_service_env).to.deep.equal({
      TICKSTREAM_LAKE: 's3://tickstream-prod-lake-123456789012',
      AWS_REGION: 'eu-west-1',
    });
  });

  it('serves as a dynamic inventory script on `terraform output -json` (KRaft mode) with a stable cluster id', async () => {
    const list = await ansibleInventory(SCRIPT, { TICKSTREAM_TF_OUTPUTS: KRAFT_OUTPUTS });
    expect(groupHosts(list, 'kafka_controller')).to.deep.equal(['controller-1', 'controller-2', 'controller-3']);
    expect(groupHosts(list, 'zookeeper')).to.deep.equal([]);
    const id = list._meta.hostvars['controller-1']!.kafka_cluster_id as string;
    expect(id).to.match(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    for (const h of Object.keys(list._meta.hostvars)) expect(list._meta.hostvars[h]!.kafka_cluster_id, h).to.equal(id);
    const again = await ansibleInventory(SCRIPT, { TICKSTREAM_TF_OUTPUTS: KRAFT_OUTPUTS });
    expect(again._meta.hostvars['broker-3']!.kafka_cluster_id).to.equal(id);
    expect(list._meta.hostvars['controller-2']!.node_id).to.equal(CONTROLLER_FIRST_ID + 1);
    expect(list._meta.hostvars['controller-1']).to.include({ ansible_host: list._meta.hostvars['controller-1']!.instance_id, ansible_user: SSH_USER });
  });

  it('gives the roles node ids, racks, a quorum and bootstrap lists built from private DNS names', async () => {
    for (const [outputs, mode] of [[ZK_OUTPUTS, 'zookeeper'], [KRAFT_OUTPUTS, 'kraft']] as const) {
      const hostsFile = join(dir, `derive-${mode}.yml`);
      await run(python(), [SCRIPT, '--outputs', outputs, '--write', hostsFile]);
      const { stdout } = await run(pythonTool('ansible-playbook'), ['-i', hostsFile, join(FIXTURES, 'derive.yml'), '-e', 'ansible_connection=local',
        // The SCRAM passwords a deployment gets from Vault or SSM (the checks need some).
        '-e', 'kafka_admin_password=a1 kafka_producer_password=p1 kafka_sink_password=s1'], {
        env: { ...process.env, ANSIBLE_ROLES_PATH: join(ANSIBLE_DIR, 'roles'), ANSIBLE_NOCOLOR: '1', ANSIBLE_CALLBACK_RESULT_FORMAT: 'json' },
        maxBuffer: 16 * 1024 * 1024,
      }).catch((err: { stdout: string; message: string }) => {
        throw new Error(`derive.yml failed on the ${mode} inventory: ${err.message}\n${err.stdout.split('\n').slice(-30).join('\n')}`);
      });
      // Scalars as text: whether a template yields 2 or "2" is Ansible's business, not the roles'.
      const all = new Map<string, Record<string, unknown>>();
      for (const m of stdout.matchAll(/^ok: \[([^\]]+)\] => (\{[\s\S]*?\n\})$/gm)) {
        const result = JSON.parse(m[2]!, (_k, v: unknown) => (typeof v === 'number' ? String(v) : v)) as { derived: Record<string, unknown> };
        all.set(m[1]!, result.derived);
      }
      const derived = (host: string): Record<string, unknown> => {
        const d = all.get(host);
        if (!d) throw new Error(`derive.yml printed nothing for ${host}:\n${stdout.slice(-3000)}`);
        return d;
      };
      const broker = derived('broker-2');
      expect(broker).to.include({ node_id: '2', rack: 'eu-west-1b', advertised_host: 'broker-2.tickstream.internal' });
      expect(broker).to.include({ replication_factor: '3', min_insync_replicas: '2' });
      expect(broker.client_bootstrap).to.equal('broker-1.tickstream.internal:9094,broker-2.tickstream.internal:9094,broker-3.tickstream.internal:9094');
      expect(derived('sink-1').client_bootstrap).to.equal(broker.client_bootstrap);
      // The ports the security groups open (modules/kafka-cluster.ts): replication apart from
      // the client listener, which the services get, both SCRAM over TLS by default; log dirs
      // on the mounted data volume.
      expect(broker.listeners).to.deep.equal([
        { name: 'REPLICATION', port: String(KAFKA_PORTS.replication), protocol: 'SASL_SSL' },
        { name: 'CLIENT', port: String(KAFKA_PORTS.client), protocol: 'SASL_SSL' },
      ]);
      expect(broker).to.include({ inter_broker_listener: 'REPLICATION', client_listener: 'CLIENT' });
      expect(broker.client_bootstrap).to.include(`:${KAFKA_PORTS.client}`);
      expect(broker.admin_bootstrap).to.equal(String(broker.client_bootstrap).replaceAll(`:${KAFKA_PORTS.client}`, `:${KAFKA_PORTS.replication}`));
      expect(broker).to.include({ data_mount: '/data' });
      expect(String(broker.data_device)).to.match(new RegExp(`^${EBS_NVME_BY_ID}vol0`));
      expect(broker.data_dirs).to.deep.equal(['/data/kafka']);
      expect(broker.controller_port).to.equal(String(KAFKA_PORTS.controller));
      expect(broker.zookeeper_ports).to.deep.equal(
        [KAFKA_PORTS.zookeeperClient, KAFKA_PORTS.zookeeperQuorum, KAFKA_PORTS.zookeeperElection].map(String),
      );
      if (mode === 'zookeeper') {
        expect(broker.zookeeper_connect).to.equal('zk-1.tickstream.internal:2181,zk-2.tickstream.internal:2181,zk-3.tickstream.internal:2181');
        expect(broker.process_roles).to.deep.equal(['broker']);
        const zoo = String(derived('zk-2').zoo_cfg);
        expect(zoo.match(/^server\.\d+=.*$/gm)).to.deep.equal([1, 2, 3].map((i) => `server.${i}=zk-${i}.tickstream.internal:2888:3888`));
        expect(zoo).to.match(/^secureClientPort=2181$/m);
        expect(zoo).to.not.match(/^clientPort=/m);
        // Three members: they talk TLS among themselves too.
        expect(zoo).to.match(/^sslQuorum=true$/m);
        expect(zoo).to.match(/^ssl\.clientAuth=need$/m);
        expect(zoo).to.match(/^dataDir=\/var\/lib\/zookeeper$/m);
      } else {
        expect(broker.quorum_voters).to.equal(
          '101@controller-1.tickstream.internal:9093,102@controller-2.tickstream.internal:9093,103@controller-3.tickstream.internal:9093',
        );
        expect(derived('controller-1').process_roles).to.deep.equal(['controller']);
        expect(derived('controller-1').node_id).to.equal(String(CONTROLLER_FIRST_ID));
        expect(derived('controller-1').data_dirs).to.deep.equal(['/var/lib/kafka-controller']);
      }
    }
  });

  it('reaches hosts directly by private IP when asked, and refuses outputs that break the contract', async () => {
    const { stdout } = await run(python(), [SCRIPT, '--outputs', ZK_OUTPUTS, '--reach', 'direct', '--private-key', KEY_FILE, '--list']);
    const list = JSON.parse(stdout) as InventoryList;
    expect(list._meta.hostvars['zk-1']).to.include({ ansible_host: '10.40.1.10' });
    const vars = (list.all as { vars: Record<string, unknown> }).vars;
    expect(vars).to.include({ ansible_connection: 'ssh', ansible_user: SSH_USER, ansible_ssh_private_key_file: KEY_FILE });
    expect(vars.ansible_ssh_common_args).to.equal('-o StrictHostKeyChecking=accept-new');

    const noEndpoint = join(dir, 'no-endpoint.json');
    const withoutEndpoint = JSON.parse(readFileSync(ZK_OUTPUTS, 'utf8'))['tickstream-prod'].inventory;
    delete withoutEndpoint.instance_connect_endpoint_id;
    writeFileSync(noEndpoint, JSON.stringify({ inventory: { value: withoutEndpoint } }));
    const eiceErr = await run(python(), [SCRIPT, '--outputs', noEndpoint, '--list']).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(eiceErr!.code).to.equal(2);
    expect(eiceErr!.stderr).to.match(/no `instance_connect_endpoint_id`/);

    const broken = join(dir, 'broken.json');
    const inv = JSON.parse(readFileSync(ZK_OUTPUTS, 'utf8'))['tickstream-prod'].inventory;
    inv.hosts.kafka_controller = inv.hosts.zookeeper;
    writeFileSync(broken, JSON.stringify({ inventory: { value: inv } }));
    const err = await run(python(), [SCRIPT, '--outputs', broken, '--list']).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(err, 'a zookeeper-mode inventory with controllers was accepted').to.not.equal(null);
    expect(err!.code).to.equal(2);
    expect(err!.stderr).to.match(/metadata_mode zookeeper takes no hosts in `kafka_controller`/);

    const none = await run(python(), [SCRIPT, '--list'], { env: { ...process.env, TICKSTREAM_TF_OUTPUTS: '', TICKSTREAM_TF_DIR: '' } }).then(
      () => null,
      (e: { stderr: string }) => e,
    );
    expect(none!.stderr).to.match(/no Terraform outputs: pass --outputs FILE/);
  });

  it('builds the same groups and host facts from the instance tags with the aws_ec2 inventory file', async () => {
    // Instances as the EC2 API describes them, tagged the way modules/hosts.ts and the
    // provider's default tags (modules/stack.ts) tag them.
    const instance = (role: string, n: number, id: number, az: string) => ({
      tags: { Name: `tickstream-prod-${role}-${n}`, Role: role, 'tickstream:id': String(id), Project: 'tickstream', Environment: 'prod', ManagedBy: 'cdktf' },
      placement: { region: 'eu-west-1', availability_zone: az },
      private_ip_address: `10.40.${n}.${id}`,
      instance_id: `i-0${role}${n}`,
      block_device_mappings: [
        { device_name: '/dev/xvda', ebs: { volume_id: `vol-0root${role}${n}` } },
        ...(role === 'broker' ? [{ device_name: BROKER_DATA_DEVICE, ebs: { volume_id: `vol-0data${n}` } }] : []),
      ],
    });
    const instances = [
      instance('zk', 1, 1, 'eu-west-1a'),
      instance('controller', 1, CONTROLLER_FIRST_ID, 'eu-west-1a'),
      instance('broker', 2, 2, 'eu-west-1b'),
      instance('producer', 1, 1, 'eu-west-1a'),
      instance('sink', 1, 1, 'eu-west-1c'),
    ];
    const child = execFile(python(), [join(FIXTURES, 'aws_ec2_compose.py'), AWS_EC2], { env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
    child.stdin!.end(JSON.stringify(instances));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).to.equal(0);
    const out = JSON.parse(stdout) as {
      plugin: string;
      filters: Record<string, string>;
      hosts: Record<string, { groups: string[]; vars: Record<string, unknown> }>;
    };
    expect(out.plugin).to.equal('amazon.aws.aws_ec2');
    expect(out.filters).to.include({ 'tag:Project': 'tickstream', 'instance-state-name': 'running' });
    const groupOf = Object.fromEntries(Object.entries(out.hosts).map(([name, h]) => [name, h.groups]));
    expect(groupOf).to.deep.equal({
      'tickstream-prod-zk-1': ['zookeeper'],
      'tickstream-prod-controller-1': ['kafka_controller'],
      'tickstream-prod-broker-2': ['kafka_broker'],
      'tickstream-prod-producer-1': ['tickstream_producer'],
      'tickstream-prod-sink-1': ['tickstream_sink'],
    });
    // The same facts terraform_inventory.py gives for broker-2 of the ZooKeeper fixture.
    expect(out.hosts['tickstream-prod-broker-2']!.vars).to.deep.equal({
      node_id: 2,
      private_ip: '10.40.2.2',
      private_dns: 'broker-2.tickstream.internal',
      az: 'eu-west-1b',
      ansible_host: 'i-0broker2',
      ansible_connection: 'ssh',
      ansible_user: SSH_USER,
      ansible_ssh_common_args: "-o ProxyCommand='aws ec2-instance-connect open-tunnel --instance-id %h --region eu-west-1' -o StrictHostKeyChecking=accept-new",
      kafka_broker_data_device: `${EBS_NVME_BY_ID}vol0data2`,
    });
    expect(out.hosts['tickstream-prod-zk-1']!.vars.kafka_broker_data_device).to.equal('');
    expect(out.hosts['tickstream-prod-controller-1']!.vars).to.include({ node_id: CONTROLLER_FIRST_ID, private_dns: 'controller-1.tickstream.internal' });
  });
});
