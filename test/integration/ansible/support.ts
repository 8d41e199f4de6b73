/**
 * Helpers for running the Ansible roles for real against local "hosts": one folder and
 * one port set per host on this machine (connection local), the services started from the
 * rendered units by ansible/roles/tickstream/files/unitctl.py (no systemd needed).
 *
 * Ports (assigned to these tests): brokers 31092-31097 (two listeners each), KRaft
 * controllers 31192-31194, ZooKeeper 32181 (one member: no quorum or election port open).
 * The two metadata modes run at the same time on two loopback addresses, ZooKeeper mode
 * on 127.0.0.1 and KRaft mode on 127.0.0.2, so each uses the same port numbers. The
 * service units are rendered and verified, not started.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { KafkaConfig } from '../../../lib/settings.js';
import { sharedKafka } from '../../support/kafka.js';
import { PROJECT_ROOT, pythonTool } from '../../support/tools.js';

const run = promisify(execFile);

export const ANSIBLE_DIR = join(PROJECT_ROOT, 'ansible');
export const UNITCTL = join(ANSIBLE_DIR, 'roles', 'tickstream', 'files', 'unitctl.py');
/** The loopback address each mode's hosts listen on (Linux routes all of 127/8 to lo). */
export const ADDRESS: Record<'zookeeper' | 'kraft', string> = { zookeeper: '127.0.0.1', kraft: '127.0.0.2' };

export type Mode = 'zookeeper' | 'kraft';
export type Group = 'zookeeper' | 'kafka_controller' | 'kafka_broker' | 'tickstream_producer' | 'tickstream_sink';

export interface Listener {
  readonly name: string;
  readonly port: number;
  readonly protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
}

export interface LocalHost {
  readonly name: string;
  readonly groups: readonly Group[];
  readonly nodeId: number;
  readonly root: string;
  /** The systemd units the roles write for this host (the first is its main one). */
  readonly units: readonly string[];
  readonly unit: string;
  readonly vars: Record<string, unknown>;
}

export interface LocalCluster {
  readonly mode: Mode;
  /** The loopback address every host of this cluster listens on and advertises. */
  readonly address: string;
  readonly dir: string;
  readonly inventory: string;
  readonly hosts: readonly LocalHost[];
  readonly brokers: readonly LocalHost[];
  /** The client listener (SASL_SSL) of every broker as the admin user (a super user). */
  readonly admin: KafkaConfig;
  /** The same listener as the producer's and the sink's SCRAM users. */
  readonly producer: KafkaConfig;
  readonly sink: KafkaConfig;
  /** The passwords in the vault the playbook runs with (made up per run). */
  readonly passwords: { readonly admin: string; readonly producer: string; readonly sink: string };
  /** Arguments that give ansible-playbook the vault: -e @secrets.yml --vault-password-file ... */
  readonly vaultArgs: readonly string[];
  /** The private CA the playbook made on the "controller" (this machine). */
  readonly caPem: string;
}

/** JVM flags of the test nodes: quick to start, little CPU when idle. */
const LIGHT_JVM = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Djava.awt.headless=true';

/**
 * The Python the modules run with: they need only the standard library, so the system's
 * (the quickest to start) when there is one, else the interpreter behind the venv.
 */
function modulePython(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : realpathSync(join(PROJECT_ROOT, '.venv', 'bin', 'python'));
}

function javaBin(): string {
  const java = spawnSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).stdout.trim();
  if (!java) throw new Error('java is not installed. Install a JDK 17+ (apt-get install openjdk-17-jdk-headless) or run `bash .ci/run`.');
  return realpathSync(java);
}

/** A password made up for one run: letters and digits only (SCRAM and JAAS take them as they are). */
function madeUpPassword(): string {
  return randomBytes(18).toString('base64url').replace(/[-_]/g, 'x');
}

/**
 * The secrets of a run in an Ansible Vault file, as a deployment keeps them: passwords made
 * up now, encrypted with a vault password that is made up too and lives only in the run's
 * folder (0600). Nothing secret is in the repository.
 */
export function makeVault(dir: string): { passwords: LocalCluster['passwords']; vaultArgs: string[] } {
  const passwords = { admin: madeUpPassword(), producer: madeUpPassword(), sink: madeUpPassword() };
  const passFile = join(dir, 'vault-password');
  writeFileSync(passFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  const secrets = join(dir, 'secrets.yml');
  writeFileSync(
    secrets,
    `kafka_admin_password: ${passwords.admin}\nkafka_producer_password: ${passwords.producer}\nkafka_sink_password: ${passwords.sink}\n`,
    { mode: 0o600 },
  );
  const r = spawnSync(pythonTool('ansible-vault'), ['encrypt', '--vault-password-file', passFile, secrets], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ansible-vault encrypt failed: ${r.stdout}${r.stderr}`);
  if (!readFileSync(secrets, 'utf8').startsWith('$ANSIBLE_VAULT;')) throw new Error(`${secrets} is not vault-encrypted`);
  return { passwords, vaultArgs: ['-e', `@${secrets}`, '--vault-password-file', passFile] };
}

/**
 * The inventory of a local cluster: 3 ZooKeeper members or 3 KRaft controllers, 3 brokers,
 * and (options.app) one host running the producer and the sink. Security is the roles'
 * default: both listeners SASL_SSL (SCRAM), mutual TLS to the KRaft controllers and to
 * ZooKeeper, ACLs, certificates from the private CA the playbook makes, the passwords from
 * a vault. Only the ports differ per host (they share one address).
 */
export function planCluster(mode: Mode, dir: string, options: { app: boolean }): LocalCluster {
  mkdirSync(dir, { recursive: true });
  const address = ADDRESS[mode];
  const hosts: LocalHost[] = [];
  const add = (groups: Group[], name: string, nodeId: number, units: string[], vars: Record<string, unknown>): void => {
    const root = join(dir, name);
    hosts.push({ name, groups, nodeId, root, units, unit: units[0]!, vars: { tickstream_root: root, node_id: nodeId, ...vars } });
  };
  if (mode === 'zookeeper') {
    // One member keeps the run short; the ensemble lines of zoo.cfg (server.N) are checked
    // by inventory.test.ts, which renders the template for a three-member inventory.
    add(['zookeeper'], 'zk-1', 1, ['zookeeper'], { zookeeper_client_port: 32181, zookeeper_peer_port: 32281, zookeeper_election_port: 32291 });
  } else {
    // A real quorum of three; brokers and controllers share the KRaft id space.
    for (let i = 1; i <= 3; i++) add(['kafka_controller'], `controller-${i}`, 100 + i, ['kafka-controller'], { kafka_controller_port: 31191 + i });
  }
  for (let i = 1; i <= 3; i++) {
    // The names and protocols of the roles' default kafka_listeners, on this host's ports.
    const listeners: Listener[] = [
      { name: 'REPLICATION', port: 31091 + i, protocol: 'SASL_SSL' },
      { name: 'CLIENT', port: 31094 + i, protocol: 'SASL_SSL' },
    ];
    add(['kafka_broker'], `broker-${i}`, i, ['kafka'], { az: `local-${'abc'[i - 1]}`, kafka_listeners: listeners });
  }
  if (options.app) {
    // The producer and the sink share one application host.
    add(['tickstream_producer', 'tickstream_sink'], 'app-1', 1, ['tickstream-producer', 'tickstream-sink'], {
      tickstream_service_metrics_ports: { producer: 31098, sink: 31099 },
    });
  }

  const { passwords, vaultArgs } = makeVault(dir);
  const pkiDir = join(dir, 'pki');
  const allVars: Record<string, unknown> = {
    ansible_connection: 'local',
    ansible_python_interpreter: modulePython(),
    tickstream_manage_system: false,
    tickstream_service_manager: 'unitctl',
    tickstream_environment: 'test',
    private_dns: address,
    java_bin: javaBin(),
    kafka_metadata_mode: mode,
    // A fixed id: formatting is part of the first run, and every node must agree on it.
    ...(mode === 'kraft' ? { kafka_cluster_id: 'dGlja3N0cmVhbS10ZXN0MQ' } : {}),
    kafka_bind_host: address,
    zookeeper_bind_host: address,
    // Small heaps and a light JVM (C1 only, serial GC): the machine is shared with other
    // clusters, and the tests restart nodes often; production keeps the roles' G1 defaults.
    kafka_broker_heap: '384m',
    kafka_controller_heap: '256m',
    zookeeper_heap: '128m',
    kafka_jvm_performance_opts: LIGHT_JVM,
    zookeeper_jvm_opts: LIGHT_JVM,
    kafka_offsets_topic_partitions: 10,
    kafka_group_initial_rebalance_delay_ms: 0,
    kafka_healthy_delay_sec: 2,
    kafka_healthy_retries: 90,
    // The CA and the certificates the playbook makes stay in the run's folder.
    tickstream_pki_dir: pkiDir,
    tickstream_pki_key_bits: 2048,
    tickstream_service_code_source: 'link',
    tickstream_service_source_dir: PROJECT_ROOT,
    tickstream_service_node_bin: realpathSync(process.execPath),
    tickstream_service_start: false,
  };
  const groups: Group[] = ['zookeeper', 'kafka_controller', 'kafka_broker', 'tickstream_producer', 'tickstream_sink'];
  const inventory = {
    all: {
      vars: allVars,
      children: Object.fromEntries(
        groups.map((g) => [g, { hosts: Object.fromEntries(hosts.filter((h) => h.groups.includes(g)).map((h) => [h.name, h.vars])) }]),
      ),
    },
  };
  const inventoryFile = join(dir, 'inventory.json');
  writeFileSync(inventoryFile, JSON.stringify(inventory, null, 2));

  const brokers = hosts.filter((h) => h.groups.includes('kafka_broker'));
  const portOf = (h: LocalHost, name: string): number => (h.vars.kafka_listeners as Listener[]).find((l) => l.name === name)!.port;
  const caPem = join(pkiDir, 'ca.pem');
  const client = (saslUsername: string, saslPassword: string): KafkaConfig => ({
    ...sharedKafka(),
    bootstrap: brokers.map((b) => `${address}:${portOf(b, 'CLIENT')}`).join(','),
    securityProtocol: 'sasl_ssl',
    saslMechanism: 'SCRAM-SHA-512',
    saslUsername,
    saslPassword,
    caLocation: caPem,
  });
  return {
    mode,
    address,
    dir,
    inventory: inventoryFile,
    hosts,
    brokers,
    admin: client('admin', passwords.admin),
    producer: client('tickstream-producer', passwords.producer),
    sink: client('tickstream-sink', passwords.sink),
    passwords,
    vaultArgs,
    caPem,
  };
}

export interface PlaybookRun {
  readonly output: string;
  readonly recap: ReadonlyMap<string, Record<string, number>>;
  readonly seconds: number;
}

/** Runs a playbook of ansible/ for real; rejects with the end of its output when it fails. */
export async function ansiblePlaybook(playbook: string, inventory: string, extra: string[] = []): Promise<PlaybookRun> {
  const bin = pythonTool('ansible-playbook');
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(bin, ['-i', inventory, playbook, ...extra], {
      cwd: ANSIBLE_DIR,
      env: { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE_DIR, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 900_000,
    });
    const output = stdout + stderr;
    keepLog(inventory, playbook, output);
    return { output, recap: parseRecap(output), seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    keepLog(inventory, playbook, output);
    throw new Error(`ansible-playbook ${playbook} failed: ${e.message.split('\n')[0]}\n${output.split('\n').slice(-60).join('\n')}`);
  }
}

/** Keeps each run's output beside the inventory (…/site.yml.1.log, …), for reading after a failure. */
function keepLog(inventory: string, playbook: string, output: string): void {
  const dir = dirname(inventory);
  let n = 1;
  while (existsSync(join(dir, `${playbook}.${n}.log`))) n += 1;
  writeFileSync(join(dir, `${playbook}.${n}.log`), output);
}

/** `PLAY RECAP` lines: host -> {ok, changed, unreachable, failed, skipped, rescued, ignored}. */
export function parseRecap(output: string): Map<string, Record<string, number>> {
  const recap = new Map<string, Record<string, number>>();
  const start = output.lastIndexOf('PLAY RECAP');
  if (start < 0) return recap;
  for (const line of output.slice(start).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const counts: Record<string, number> = {};
    for (const kv of m[2]!.trim().split(/\s+/)) {
      const [k, v] = kv.split('=');
      if (k && v !== undefined) counts[k] = Number(v);
    }
    recap.set(m[1]!, counts);
  }
  return recap;
}

/** unitctl on one host's root: start, stop, restart, is-active. */
export async function unitctl(root: string, action: string, unit: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(modulePython(), [UNITCTL, '--root', root, action, unit], { timeout: 300_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** What unitctl recorded for a running unit: its pid and the command line it started. */
export function unitProcess(root: string, unit: string): { pid: number; argv: string[] } | null {
  const file = join(root, 'run', 'unitctl', `${unit}.json`);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as { pid: number; argv: string[] };
}

/** Whether a process runs (a zombie, dead but not yet reaped by its parent, does not). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Stops every unit of the cluster that runs: services and brokers first, metadata nodes last. */
export async function stopCluster(cluster: LocalCluster): Promise<void> {
  const order: Group[] = ['tickstream_producer', 'kafka_broker', 'kafka_controller', 'zookeeper'];
  for (const group of order) {
    await Promise.all(
      cluster.hosts
        .filter((h) => h.groups[0] === group)
        .flatMap((h) => h.units.filter((u) => existsSync(unitFile(h, u))).map((u) => unitctl(h.root, 'stop', u))),
    );
  }
}

/** Reads a key=value file (server.properties, zoo.cfg) into a map. */
export function readProperties(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

/**
 * The command line systemd would run for a unit file: ExecStart with `$VAR` (split into
 * words) and `${VAR}` (one word) taken from Environment= lines. An implementation of its
 * own, so that the test checks unitctl against the unit rather than unitctl against itself.
 */
export function execStartOf(unitText: string): string[] {
  const env = new Map<string, string>();
  let execStart = '';
  for (const line of unitText.split('\n')) {
    const m = /^(Environment|ExecStart)=(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'ExecStart') execStart = m[2]!;
    else {
      const assignment = m[2]!.replace(/^"(.*)"$/, '$1');
      const i = assignment.indexOf('=');
      env.set(assignment.slice(0, i), assignment.slice(i + 1));
    }
  }
  return execStart
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((word) => {
      const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
      if (whole) return (env.get(whole[1]!) ?? '').split(/\s+/).filter(Boolean);
      return [word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env.get(name) ?? '')];
    });
}

/** The unit file of a host. */
export function unitFile(host: LocalHost, unit = host.unit): string {
  return join(host.root, 'etc', 'systemd', 'system', `${unit}.service`);
}
