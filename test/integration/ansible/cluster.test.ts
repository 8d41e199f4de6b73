/**
 * The Ansible roles, run for real: site.yml configures local "hosts" (a folder and a port
 * set each, connection local) in both metadata modes; the cluster started from exactly the
 * rendered units (unitctl runs each unit's ExecStart) must then work with a real Kafka
 * client: replication 3 and min.insync.replicas 2, SCRAM users created the way the mode
 * requires, a broker killed without losing an acknowledged message, and rolls (a changed
 * setting, rolling_restart.yml) that keep every write flowing. Quick to run on one machine;
 * what only real hosts show (packages, users, systemd, SSH and become, a second run that
 * changes nothing, reboots, the services shipped as a release) is test/hosts' job.
 *
 *   zookeeper: 1 ZooKeeper member (mutual TLS), 3 Kafka 3.9 brokers
 *   kraft:     3 KRaft controllers (mutual TLS), 3 Kafka 4 brokers, a producer + sink host
 *
 * Security is the roles' default in both: SASL_SSL (SCRAM-SHA-512) listeners for replication
 * and clients, ACLs (producer and sink only what they need), a private CA made by the
 * playbook, passwords from an Ansible Vault, secrets in root-only files and systemd
 * credentials. The tests talk to the brokers as the admin, producer and sink users.
 *
 * The two modes run at the same time (two loopback addresses, see support.ts): each mode
 * is one scenario of steps (first run, checks against the running cluster, a broker
 * killed, rolling restart) started in `before`; every test awaits the step it
 * checks. Steps of one mode run one after the other, never two at once.
 */
import { expect } from 'chai';
import Kafka from 'node-rdkafka';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { clusterMetadata, ensureTopics, probeSecurity } from '../../../lib/admin.js';
import { loadConfig } from '../../../lib/config.js';
import { producerSettings } from '../../../lib/kafka.js';
import { fetchMetadata, underReplicated } from '../../../lib/kafka-probe.js';
import { sharedSpec, type KafkaConfig } from '../../../lib/settings.js';
import { tryConsume, tryProduce, wrongPasswordRefusal } from '../../support/acl-probes.js';
import { consumeCount, produceAll, type TestMessage } from '../../support/kafka.js';
import { PROJECT_ROOT, pythonTool, systemTool } from '../../support/tools.js';
import {
  ansiblePlaybook,
  execStartOf,
  planCluster,
  processAlive,
  readProperties,
  stopCluster,
  unitFile,
  unitProcess,
  unitctl,
  type LocalCluster,
  type LocalHost,
  type Mode,
  type PlaybookRun,
} from './support.js';

const run = promisify(execFile);

function pinnedVersion(mode: Mode): string {
  const pom = readFileSync(join(PROJECT_ROOT, 'local', 'maven', mode === 'zookeeper' ? 'kafka-3.9' : 'kafka-4', 'pom.xml'), 'utf8');
  return /<kafka\.version>([^<]+)</.exec(pom)![1]!;
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

/** Waits until every partition of the cluster has a leader and a full ISR. */
async function waitHealthy(cluster: LocalCluster, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const md = await clusterMetadata(cluster.admin, null, 2000);
      const urp = underReplicated(md);
      if (md.brokers.length === 3 && urp.length === 0) return;
      last = `${md.brokers.length} brokers, under-replicated: ${urp.map((p) => `${p.topic}-${p.partition}`).join(' ')}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`cluster not healthy after ${timeoutMs / 1000}s: ${last}`);
}

/** An acks=all producer that writes one message every `intervalMs` until stopped; counts acknowledgements. */
function steadyProducer(kafka: KafkaConfig, topic: string, intervalMs: number) {
  const producer = new Kafka.Producer({ ...producerSettings(kafka, { lingerMs: 0 }, 'ansible-steady') });
  const acked: string[] = [];
  /** Where each acknowledged value was written, `partition@offset` (for the report of a missing one). */
  const ackedAt = new Map<string, string>();
  const failed: string[] = [];
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    producer.once('ready', () => resolve());
    producer.connect({ timeout: 20_000 }, (err) => err && reject(err));
  });
  producer.setPollInterval(20);
  producer.on('delivery-report', (err, report) => {
    const value = String(report.opaque);
    if (err) failed.push(`${value}: ${err.message}`);
    else {
      acked.push(value);
      ackedAt.set(value, `${report.partition}@${report.offset}`);
    }
  });
  return {
    acked,
    ackedAt,
    failed,
    async start(): Promise<void> {
      await ready;
      timer = setInterval(() => {
        const value = `steady-${sent}`;
        producer.produce(topic, null, Buffer.from(value), `k${sent % 5}`, Date.now(), value);
        sent += 1;
      }, intervalMs);
    },
    async stop(): Promise<number> {
      clearInterval(timer);
      await new Promise<void>((resolve) => producer.flush(150_000, () => resolve()));
      await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
      return sent;
    },
  };
}

/** Samples which of the given ports are closed every 200 ms until stopped. */
function portMonitor(host: string, ports: readonly number[]) {
  const samples: boolean[][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await Promise.all(ports.map((p) => portOpen(host, p).then((open) => !open))));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    samples,
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}

/**
 * The rolling restart as the play log tells it: "healthy <host>" for each passed health
 * check (under-replicated partitions or quorum leader), "restarted <host>" for each restart.
 */
function taskEvents(output: string): string[] {
  const events: string[] = [];
  for (const block of output.split(/\nTASK \[/).slice(1)) {
    const name = block.slice(0, block.indexOf(']'));
    const hosts = [...block.matchAll(/^(?:ok|changed): \[([^\]]+)\]/gm)].map((m) => m[1]!);
    if (/^kafka : Wait until (no partition is under-replicated|this controller sees a quorum leader)$/.test(name)) {
      events.push(...hosts.map((h) => `healthy ${h}`));
    }
    if (/^tickstream : Bring the unit to the wanted state \(unitctl, local test mode\) - kafka(-controller)? restarted$/.test(name)) {
      events.push(...hosts.map((h) => `restarted ${h}`));
    }
  }
  return events;
}

/**
 * What a roll looks like in taskEvents: the first node waits for a healthy cluster before
 * it goes down; every node restarts and waits for a healthy cluster again, which is also
 * the check the next node relies on (it follows right after).
 */
function rollEvents(hosts: readonly LocalHost[]): string[] {
  return hosts.flatMap((h, i) => [...(i === 0 ? [`healthy ${h.name}`] : []), `restarted ${h.name}`, `healthy ${h.name}`]);
}

/** Runs `during` while a steady acks=all producer writes and a monitor watches the ports. */
async function whileWriting(cluster: LocalCluster, topic: string, ports: readonly number[], during: () => Promise<PlaybookRun>) {
  const kafka = cluster.admin;
  await ensureTopics(kafka, [{ name: topic, partitions: 6, replicationFactor: 3, config: { 'min.insync.replicas': '2' } }]);
  const monitor = portMonitor(cluster.address, ports);
  const producer = steadyProducer(kafka, topic, 25);
  await producer.start();
  let play: PlaybookRun;
  try {
    play = await during();
  } finally {
    await monitor.stop();
  }
  const sent = await producer.stop();
  return { play: play!, samples: monitor.samples, sent, acked: producer.acked, ackedAt: producer.ackedAt, failed: producer.failed };
}

/**
 * Every acknowledged value is in the topic exactly once. A consumer that sees nothing for
 * 30 s stops early; it is then asked once more, with a new group, before a value counts as
 * lost, and the message names what is missing (values, and where they went).
 */
async function expectAllReadable(cluster: LocalCluster, topic: string, acked: readonly string[], ackedAt: ReadonlyMap<string, string>): Promise<void> {
  const wanted = new Set(acked);
  let got: Array<{ value: string; partition: number; offset: number }> = [];
  for (const attempt of [1, 2]) {
    got = await consumeCount(cluster.admin, topic, `${topic}-read-${attempt}`, acked.length, { idleMs: 30_000 });
    if (got.length >= acked.length) break;
    console.log(`      (read ${attempt} of ${topic} stopped at ${got.length} of ${acked.length} messages)`);
  }
  const values = got.map((m) => m.value);
  const present = new Set(values);
  const missing = [...wanted].filter((v) => !present.has(v));
  const seen = new Set<string>();
  const duplicates = got.filter((m) => (seen.has(m.value) ? true : (seen.add(m.value), false)));
  // Where a missing value was acknowledged, and what the reads found in that partition: tells
  // a record gone from the log (the partition now starts later) from one a read skipped.
  const where = missing.slice(0, 5).map((v) => {
    const at = ackedAt.get(v) ?? '?@?';
    const offsets = got.filter((m) => `${m.partition}` === at.split('@')[0]).map((m) => m.offset);
    const range = offsets.length > 0 ? `read offsets ${Math.min(...offsets)}-${Math.max(...offsets)} (${offsets.length})` : 'read nothing there';
    return `${v} (acknowledged at ${at}; ${range})`;
  });
  expect(missing, `${missing.length} acknowledged messages missing: ${where.join(', ')}`).to.deep.equal([]);
  expect(duplicates.map((m) => `${m.value}@${m.partition}:${m.offset}`), 'duplicates').to.deep.equal([]);
  expect(values.filter((v) => !wanted.has(v)), 'messages that were never acknowledged').to.deep.equal([]);
}

function brokerPort(host: LocalHost, name: string): number {
  return (host.vars.kafka_listeners as Array<{ name: string; port: number }>).find((l) => l.name === name)!.port;
}

function metadataHosts(cluster: LocalCluster): LocalHost[] {
  return cluster.hosts.filter((h) => h.groups.includes(cluster.mode === 'zookeeper' ? 'zookeeper' : 'kafka_controller'));
}

/** Files (recursively) under a folder. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

type Writes = Awaited<ReturnType<typeof whileWriting>>;

/** ZooKeeper mode: the brokers whose configuration the roll test changes (not broker-2). */
const ROLLED = ['broker-1', 'broker-3'];

/** One mode, start to end: every step runs after the one before; tests await the step they check. */
interface Scenario {
  readonly cluster: LocalCluster;
  readonly first: Promise<PlaybookRun>;
  /** Each node's recorded process: its command line next to the ExecStart of its unit. */
  readonly processes: Promise<Array<{ name: string; root: string; cmdline: string[]; execStart: string[] }>>;
  readonly topics: Promise<{ describe: string; racks: string[] }>;
  readonly secure: Promise<{
    sent: string[];
    got: string[];
    connectError: string | null;
    logs: string;
    sinkWritesTicks: string | null;
    producerReadsTicks: string;
    producerCreatesTopic: string | null;
  }>;
  readonly durability: Promise<{ expected: string[]; got: string[]; restarted: string }>;
  readonly roll: Promise<{ writes: Writes; pidsBefore: Map<string, number>; pidsAfter: Map<string, number>; zookeeperPids?: [number, number] }>;
}

function startScenario(mode: Mode): Scenario {
  const cluster = planCluster(mode, mkdtempSync(join(tmpdir(), `tickstream-ansible-${mode}-`)), { app: mode === 'kraft' });
  const nodes = [...metadataHosts(cluster), ...cluster.brokers];
  const pids = (): Map<string, number> => new Map(nodes.map((h) => [h.name, unitProcess(h.root, h.unit)?.pid ?? -1]));

  const first = ansiblePlaybook('site.yml', cluster.inventory, [...cluster.vaultArgs]);

  const processes = first.then(() =>
    nodes.map((h) => {
      const rec = unitProcess(h.root, h.unit);
      if (!rec) throw new Error(`${h.name}: ${h.unit} was not started`);
      const cmdline = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
      return { name: h.name, root: h.root, cmdline, execStart: execStartOf(readFileSync(unitFile(h), 'utf8')) };
    }),
  );

  const topics = processes.then(async () => {
    const tool = join(cluster.brokers[0]!.root, 'opt', 'kafka', 'bin', 'kafka');
    const adminProperties = join(cluster.brokers[0]!.root, 'etc', 'kafka', 'admin.properties');
    const { stdout } = await run(tool, ['topics', '--bootstrap-server', cluster.admin.bootstrap, '--command-config', adminProperties, '--describe', '--exclude-internal']);
    const md = await fetchMetadata(cluster.address, brokerPort(cluster.brokers[0]!, 'CLIENT'), { security: probeSecurity(cluster.admin) });
    return { describe: stdout, racks: md.brokers.map((b) => b.rack ?? '').sort() };
  });

  // The tick topics as the services use them: the producer's user writes ticks, the sink's
  // reads them in its group; a wrong password and what no ACL allows are refused.
  const secure = topics.then(async () => {
    const messages: TestMessage[] = Array.from({ length: 200 }, (_, i) => ({ key: `S${i % 3}`, value: `secure-${i}` }));
    await produceAll(cluster.producer, 'ticks', messages);
    const got = await consumeCount(cluster.sink, 'ticks', 'tickstream-sink', messages.length);
    const { connectError, logs } = await wrongPasswordRefusal(cluster.producer);
    const sinkWritesTicks = await tryProduce(cluster.sink, 'ticks');
    const producerReadsTicks = await tryConsume(cluster.producer, 'ticks', 'tickstream-sink');
    // A topic no ACL names (created by the admin): the producer may not write it either.
    await ensureTopics(cluster.admin, [{ name: 'ansible-no-acl', partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2' } }]);
    const producerCreatesTopic = await tryProduce(cluster.producer, 'ansible-no-acl');
    return {
      sent: messages.map((m) => m.value),
      got: got.map((m) => m.value),
      connectError,
      logs,
      sinkWritesTicks,
      producerReadsTicks,
      producerCreatesTopic,
    };
  });

  const durability = secure.then(async () => {
    const topic = 'ansible-durability';
    await ensureTopics(cluster.admin, [{ name: topic, partitions: 6, replicationFactor: 3, config: { 'min.insync.replicas': '2' } }]);
    const before: TestMessage[] = Array.from({ length: 2000 }, (_, i) => ({ key: `K${i % 11}`, value: `before-${i}` }));
    await produceAll(cluster.admin, topic, before);

    const victim = cluster.brokers[1]!;
    const rec = unitProcess(victim.root, victim.unit)!;
    process.kill(-rec.pid, 'SIGKILL'); // no controlled shutdown: the broker just dies
    const deadline = Date.now() + 10_000;
    while (processAlive(rec.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (processAlive(rec.pid)) throw new Error(`${victim.name} (pid ${rec.pid}) survived SIGKILL`);

    const after: TestMessage[] = Array.from({ length: 2000 }, (_, i) => ({ key: `K${i % 11}`, value: `after-${i}` }));
    await produceAll(cluster.admin, topic, after);
    const got = await consumeCount(cluster.admin, topic, 'ansible-durability', before.length + after.length);

    // Back to three brokers, from the same rendered unit.
    const restarted = await unitctl(victim.root, 'start', victim.unit);
    await waitHealthy(cluster);
    return { expected: [...before, ...after].map((m) => m.value), got: got.map((m) => m.value), restarted: restarted.out };
  });


  // ZooKeeper mode rolls a configuration change through site.yml; KRaft mode runs
  // rolling_restart.yml. Both restart through the same tasks (roles/kafka/tasks/restart.yml).
  const roll = durability.then(async () => {
    const pidsBefore = pids();
    if (mode === 'zookeeper') {
      const zk = metadataHosts(cluster)[0]!;
      const zkBefore = unitProcess(zk.root, zk.unit)!.pid;
      const ports = cluster.brokers.map((b) => brokerPort(b, 'CLIENT'));
      // A setting changed for two of the three brokers (host variables in the inventory).
      const inventory = JSON.parse(readFileSync(cluster.inventory, 'utf8')) as {
        all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> };
      };
      for (const b of ROLLED) inventory.all.children.kafka_broker!.hosts[b]!.kafka_num_replica_fetchers = 3;
      writeFileSync(cluster.inventory, JSON.stringify(inventory, null, 2));
      const writes = await whileWriting(cluster, 'ansible-config-roll', ports, () => ansiblePlaybook('site.yml', cluster.inventory, [...cluster.vaultArgs]));
      return { writes, pidsBefore, pidsAfter: pids(), zookeeperPids: [zkBefore, unitProcess(zk.root, zk.unit)!.pid] as [number, number] };
    }
    const ports = [...cluster.brokers.map((b) => brokerPort(b, 'REPLICATION')), ...metadataHosts(cluster).map((c) => c.vars.kafka_controller_port as number)];
    const writes = await whileWriting(cluster, 'ansible-rolling', ports, () => ansiblePlaybook('rolling_restart.yml', cluster.inventory, [...cluster.vaultArgs]));
    return { writes, pidsBefore, pidsAfter: pids() };
  });

  // Every step is awaited by a test; until then a failure must not count as unhandled.
  for (const p of [first, processes, topics, secure, durability, roll]) p.catch(() => undefined);
  return { cluster, first, processes, topics, secure, durability, roll };
}

describe('Ansible site.yml on local hosts', function () {
  const scenarios = new Map<Mode, Scenario>();

  before(function () {
    // Planning encrypts the run's made-up passwords with ansible-vault: slow on a loaded machine.
    this.timeout(300_000);
    systemTool('java', 'openjdk-17-jdk-headless');
    // The playbook makes its private CA and the node certificates with openssl.
    systemTool('openssl', 'openssl');
    pythonTool('ansible-playbook');
    // Both modes at once: each has its own hosts, folders and address.
    for (const mode of ['zookeeper', 'kraft'] as const) scenarios.set(mode, startScenario(mode));
  });

  after(async function () {
    this.timeout(300_000);
    // Whatever a scenario still does must end before its cluster is stopped.
    await Promise.allSettled([...scenarios.values()].map((s) => s.roll));
    await Promise.all([...scenarios.values()].map((s) => stopCluster(s.cluster)));
    for (const { cluster } of scenarios.values()) {
      for (const h of cluster.hosts) {
        for (const u of h.units) {
          const rec = unitProcess(h.root, u);
          if (rec && processAlive(rec.pid)) throw new Error(`${h.name}: ${u} (pid ${rec.pid}) still runs after stopping the cluster`);
        }
      }
      if (!process.env.TICKSTREAM_TEST_KEEP) rmSync(cluster.dir, { recursive: true, force: true });
    }
  });

  for (const mode of ['zookeeper', 'kraft'] as const) {
    describe(`${mode} mode`, function () {
      this.timeout(900_000);
      const scenario = (): Scenario => scenarios.get(mode)!;
      const app = (): LocalHost => scenario().cluster.hosts.find((h) => h.groups.includes('tickstream_sink'))!;

      it('applies every role without a failure and installs the pinned Kafka jars on each node', async () => {
        const { cluster } = scenario();
        const first = await scenario().first;
        for (const h of cluster.hosts) {
          expect(first.recap.get(h.name), `${h.name} is missing from the play recap`).to.include({ failed: 0, unreachable: 0 });
        }
        const version = pinnedVersion(mode);
        for (const h of [...metadataHosts(cluster), ...cluster.brokers]) {
          const dists = readdirSync(join(h.root, 'opt', 'kafka')).filter((d) => d.startsWith('kafka-'));
          expect(dists, h.name).to.have.length(1);
          const libs = join(h.root, 'opt', 'kafka', dists[0]!, 'libs');
          expect(existsSync(join(libs, `kafka_2.13-${version}.jar`)), `${h.name}: no Kafka ${version} jar in ${libs}`).to.equal(true);
          expect(existsSync(join(libs, '.complete')), `${h.name}: jar set not marked complete`).to.equal(true);
        }
      });

      it('renders server.properties with the durability rules, rack, listeners and metadata quorum', async () => {
        const { cluster } = scenario();
        await scenario().first;
        const a = cluster.address;
        for (const b of cluster.brokers) {
          const p = readProperties(join(b.root, 'etc', 'kafka', 'server.properties'));
          const listeners = b.vars.kafka_listeners as Array<{ name: string; port: number; protocol: string }>;
          expect(p.get(mode === 'zookeeper' ? 'broker.id' : 'node.id')).to.equal(String(b.nodeId));
          expect(p.get('broker.rack')).to.equal(b.vars.az);
          expect(p.get('listeners')).to.equal(listeners.map((l) => `${l.name}://${a}:${l.port}`).join(','));
          expect(p.get('advertised.listeners')).to.equal(listeners.map((l) => `${l.name}://${a}:${l.port}`).join(','));
          expect(p.get('inter.broker.listener.name')).to.equal('REPLICATION');
          expect(p.get('log.dirs')).to.equal(join(b.root, 'data', 'kafka'));
          expect(p.get('default.replication.factor')).to.equal('3');
          expect(p.get('min.insync.replicas')).to.equal('2');
          expect(p.get('offsets.topic.replication.factor')).to.equal('3');
          expect(p.get('transaction.state.log.min.isr')).to.equal('2');
          expect(p.get('unclean.leader.election.enable')).to.equal('false');
          expect(p.get('auto.create.topics.enable')).to.equal('false');
          // Secure by default: SCRAM over TLS everywhere, the node key from a systemd
          // credential, ACLs with nothing allowed by default, passwords only by reference.
          expect(listeners.map((l) => l.protocol)).to.deep.equal(['SASL_SSL', 'SASL_SSL']);
          expect(p.get('sasl.mechanism.inter.broker.protocol')).to.equal('SCRAM-SHA-512');
          expect(p.get('listener.name.replication.scram-sha-512.sasl.jaas.config')).to.include(
            `password="\${dir:${join(b.root, 'run', 'credentials', 'kafka.service')}:inter-broker-password}"`,
          );
          expect(p.get('ssl.keystore.type')).to.equal('PEM');
          expect(p.get('ssl.keystore.location')).to.equal(join(b.root, 'run', 'credentials', 'kafka.service', 'node.pem'));
          expect(p.get('ssl.truststore.location')).to.equal(join(b.root, 'etc', 'kafka', 'tls', 'ca.pem'));
          expect(p.get('ssl.endpoint.identification.algorithm')).to.equal('https');
          expect(p.get('allow.everyone.if.no.acl.found')).to.equal('false');
          expect(p.get('super.users')).to.equal('User:admin;User:kafka-node');
          if (mode === 'zookeeper') {
            expect(p.get('zookeeper.connect')).to.equal(`${a}:32181`);
            expect(p.get('authorizer.class.name')).to.equal('kafka.security.authorizer.AclAuthorizer');
            expect(p.get('zookeeper.ssl.client.enable')).to.equal('true');
            expect(p.get('zookeeper.ssl.keystore.location')).to.equal(p.get('ssl.keystore.location'));
          } else {
            expect(p.get('process.roles')).to.equal('broker');
            expect(p.get('controller.quorum.voters')).to.equal(`101@${a}:31192,102@${a}:31193,103@${a}:31194`);
            expect(p.get('authorizer.class.name')).to.equal('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
            expect(p.get('listener.security.protocol.map')).to.equal('REPLICATION:SASL_SSL,CLIENT:SASL_SSL,CONTROLLER:SSL');
          }
          const unit = readFileSync(unitFile(b), 'utf8');
          expect(unit).to.match(/^Environment="KAFKA_HEAP_OPTS=-Xms384m -Xmx384m"$/m);
          expect(unit).to.match(/^LimitNOFILE=128000$/m);
          expect(readFileSync(join(b.root, 'etc', 'sysctl.d', '60-kafka.conf'), 'utf8')).to.match(/^vm\.swappiness = 1$/m);
        }
        for (const m of metadataHosts(cluster)) {
          if (mode === 'zookeeper') {
            const zoo = readProperties(join(m.root, 'etc', 'zookeeper', 'zoo.cfg'));
            // TLS only, client certificates required.
            expect(zoo.get('secureClientPort')).to.equal(String(m.vars.zookeeper_client_port));
            expect(zoo.has('clientPort'), 'a plaintext client port').to.equal(false);
            expect(zoo.get('ssl.clientAuth')).to.equal('need');
            expect(zoo.get('ssl.keyStore.location')).to.equal(join(m.root, 'run', 'credentials', 'zookeeper.service', 'node.pem'));
            expect(zoo.get('dataDir')).to.equal(join(m.root, 'var', 'lib', 'zookeeper'));
            expect(zoo.get('4lw.commands.whitelist')).to.include('srvr');
            expect(readFileSync(join(m.root, 'var', 'lib', 'zookeeper', 'myid'), 'utf8').trim()).to.equal(String(m.nodeId));
          } else {
            const p = readProperties(join(m.root, 'etc', 'kafka-controller', 'server.properties'));
            expect(p.get('process.roles')).to.equal('controller');
            expect(p.get('node.id')).to.equal(String(m.nodeId));
            expect(p.get('listeners')).to.equal(`CONTROLLER://${a}:${m.vars.kafka_controller_port}`);
            expect(p.get('listener.security.protocol.map')).to.equal('CONTROLLER:SSL');
            expect(p.get('listener.name.controller.ssl.client.auth')).to.equal('required');
            expect(p.get('authorizer.class.name')).to.equal('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
            const meta = readProperties(join(m.root, 'var', 'lib', 'kafka-controller', 'meta.properties'));
            expect(meta.get('cluster.id')).to.equal('dGlja3N0cmVhbS10ZXN0MQ');
          }
        }
      });

      // The services render alike in both modes but for the client listener; KRaft mode has
      // the interesting one (SASL_SSL with a CA), and the shorter ZooKeeper run leaves them out.
      if (mode === 'kraft') {
        it('renders the service units and environment files for the SASL_SSL client listener', async () => {
          const { cluster } = scenario();
          await scenario().first;
          const s = app();
          for (const name of ['producer', 'sink'] as const) {
            const envFile = join(s.root, 'etc', 'tickstream', `${name}.env`);
            const env = readProperties(envFile);
            expect(env.get('TICKSTREAM_KAFKA_BOOTSTRAP')).to.equal(cluster.admin.bootstrap);
            expect(env.get('TICKSTREAM_KAFKA_SECURITY_PROTOCOL')).to.equal('sasl_ssl');
            expect(env.get('TICKSTREAM_KAFKA_SASL_USERNAME')).to.equal(`tickstream-${name}`);
            // The password is a systemd credential, never in the environment file or the unit.
            expect(env.has('TICKSTREAM_KAFKA_SASL_PASSWORD')).to.equal(false);
            expect(env.get('TICKSTREAM_KAFKA_SASL_PASSWORD_FILE')).to.equal('kafka-sasl-password');
            expect(env.get('TICKSTREAM_KAFKA_CA')).to.equal(join(s.root, 'etc', 'tickstream', 'kafka-ca.pem'));
            expect(readFileSync(env.get('TICKSTREAM_KAFKA_CA')!, 'utf8')).to.equal(readFileSync(cluster.caPem, 'utf8'));
            expect(env.get(`TICKSTREAM_${name.toUpperCase()}_METRICS_PORT`)).to.equal(name === 'producer' ? '31098' : '31099');
            if (name === 'sink') expect(env.get('TICKSTREAM_SINK_GROUP')).to.equal('tickstream-sink');
            const unitText = readFileSync(unitFile(s, `tickstream-${name}`), 'utf8');
            const passwordFile = join(s.root, 'etc', 'tickstream', 'credentials', `${name}-kafka-password`);
            expect(unitText).to.include(`\nLoadCredential=kafka-sasl-password:${passwordFile}\n`);
            expect(readFileSync(passwordFile, 'utf8')).to.equal(cluster.passwords[name]);
            const entry = name === 'producer' ? 'producer/main.ts' : 'consumer/main.ts';
            expect(execStartOf(unitText)).to.deep.equal([realpathSync(process.execPath), '--import', 'tsx', join(s.root, 'opt', 'tickstream', 'current', entry)]);
            expect(unitText).to.match(/^EnvironmentFile=.*\/etc\/tickstream\/(producer|sink)\.env$/m);
            expect(unitText).to.match(/^Restart=on-failure$/m);
            expect(unitText).to.match(/^RestartPreventExitStatus=2$/m);

            // The service's own settings, read as the unit would give them (the credential in
            // $CREDENTIALS_DIRECTORY), reach the brokers: the start-up metadata check over
            // SASL_SSL as this service's user sees both topics.
            const credentials = mkdtempSync(join(tmpdir(), 'tickstream-credentials-'));
            try {
              copyFileSync(passwordFile, join(credentials, 'kafka-sasl-password'));
              const config = loadConfig(sharedSpec, { env: { ...Object.fromEntries(env), CREDENTIALS_DIRECTORY: credentials } });
              expect(config.kafka.saslPassword).to.equal(cluster.passwords[name]);
              const md = await clusterMetadata(config.kafka, ['ticks', 'ticks.dlq'], 10_000);
              expect(md.topics.map((t) => `${t.name}:${t.errorCode}`).sort(), name).to.deep.equal(['ticks.dlq:0', 'ticks:0']);
            } finally {
              rmSync(credentials, { recursive: true, force: true });
            }
          }
          expect(realpathSync(join(s.root, 'opt', 'tickstream', 'current'))).to.equal(realpathSync(PROJECT_ROOT));
        });
      }

      it('writes units that systemd-analyze verify accepts without a warning', async () => {
        const { cluster } = scenario();
        await scenario().first;
        const analyze = systemTool('systemd-analyze', 'systemd');
        const files = cluster.hosts.flatMap((h) => h.units.map((u) => unitFile(h, u)));
        expect(files).to.have.length(mode === 'zookeeper' ? 4 : 8);
        // The sink's host also gets the lake compaction, a one-shot service and its timer.
        for (const h of cluster.hosts.filter((x) => x.units.includes('tickstream-sink'))) {
          const compact = unitFile(h, 'tickstream-compact');
          expect(readFileSync(compact, 'utf8')).to.match(/^ExecStart=.* \/.*\/bin\/tickstream\.ts compact$/m);
          files.push(compact, compact.replace(/\.service$/, '.timer'));
        }
        const { stdout, stderr } = await run(analyze, ['verify', ...files]).catch((err: { stdout: string; stderr: string; message: string }) => {
          throw new Error(`systemd-analyze verify failed: ${err.message}\n${err.stdout}${err.stderr}`);
        });
        expect(`${stdout}${stderr}`.trim(), 'systemd-analyze printed warnings').to.equal('');
      });

      it('runs every node with exactly the command line of its rendered unit', async () => {
        for (const p of await scenario().processes) {
          expect(p.cmdline, p.name).to.deep.equal(p.execStart);
          expect(p.cmdline.at(-1)!.startsWith(p.root), `${p.name} runs a config outside its root: ${p.cmdline.at(-1)}`).to.equal(true);
        }
      });

      it('creates ticks and ticks.dlq with the planned partitions, replication and configs', async () => {
        const { describe: stdout, racks } = await scenario().topics;
        const summary = (topic: string): string => stdout.split('\n').find((l) => l.startsWith(`Topic: ${topic}\t`)) ?? '';
        expect(summary('ticks')).to.match(/PartitionCount: 6\s+ReplicationFactor: 3/);
        expect(summary('ticks')).to.match(/min\.insync\.replicas=2/);
        expect(summary('ticks')).to.match(/unclean\.leader\.election\.enable=false/);
        expect(summary('ticks.dlq')).to.match(/PartitionCount: 3\s+ReplicationFactor: 3/);
        expect(summary('ticks.dlq')).to.match(/retention\.ms=2592000000/);
        // broker.rack = availability zone, as the brokers register it.
        expect(racks).to.deep.equal(['local-a', 'local-b', 'local-c']);
      });

      it('carries ticks from the producer user to the sink user over SASL_SSL and refuses a wrong password', async () => {
        const r = await scenario().secure;
        expect([...r.got].sort()).to.deep.equal([...r.sent].sort());
        expect(r.connectError, 'a wrong password connected').to.not.equal(null);
        expect(r.logs).to.match(/SASL authentication error: .*invalid credentials/);
      });

      it('refuses what no ACL allows: the sink writing ticks, the producer reading them or writing another topic', async () => {
        const r = await scenario().secure;
        expect(r.sinkWritesTicks, 'the sink user wrote to ticks').to.match(/Topic authorization failed/i);
        expect(r.producerReadsTicks, 'the producer user read ticks').to.match(/(Group|Topic) authorization failed/i);
        expect(r.producerCreatesTopic, 'the producer user wrote a topic without an ACL').to.match(/Topic authorization failed/i);
      });

      it('keeps every secret in root-only files: credentials 0700/0600, admin settings 0600, nothing readable holds a password', async () => {
        const { cluster } = scenario();
        await scenario().secure;
        const secrets = Object.values(cluster.passwords);
        const privateKey = /-----BEGIN PRIVATE KEY-----/;
        for (const h of cluster.hosts) {
          const etc = join(h.root, 'etc');
          const credentialDirs = readdirSync(etc)
            .map((d) => join(etc, d, 'credentials'))
            .filter((d) => existsSync(d));
          expect(credentialDirs, `${h.name} has no credentials folder`).to.not.deep.equal([]);
          for (const d of credentialDirs) {
            expect(modeOf(d), d).to.equal('0700');
            for (const f of filesUnder(d)) expect(modeOf(f), f).to.equal('0600');
          }
          for (const f of filesUnder(etc)) {
            if (credentialDirs.some((d) => f.startsWith(`${d}/`))) continue;
            const text = readFileSync(f, 'utf8');
            const secret = secrets.some((x) => text.includes(x)) || privateKey.test(text);
            // Only the tools' own client settings may hold a secret, and only root may read them.
            if (/\/(admin|zk-tls)\.properties$/.test(f)) expect(modeOf(f), f).to.equal('0600');
            else expect(secret, `${f} (mode ${modeOf(f)}) holds a password or a private key`).to.equal(false);
          }
        }
        // The private CA on the controller: its key and the host keys are owner-only.
        expect(modeOf(join(cluster.dir, 'pki'))).to.equal('0700');
        expect(modeOf(join(cluster.dir, 'pki', 'ca.key'))).to.equal('0600');
        for (const f of filesUnder(join(cluster.dir, 'pki', 'hosts'))) expect(modeOf(f), f).to.equal('0600');
      });

      it('keeps every acknowledged message when a broker is killed, and takes acks=all writes with 2 of 3 replicas', async () => {
        const r = await scenario().durability;
        expect(new Set(r.got).size, 'duplicates').to.equal(r.got.length);
        expect([...r.got].sort()).to.deep.equal([...r.expected].sort());
        expect(r.restarted).to.match(/^changed: started/);
      });

      if (mode === 'zookeeper') {
        it('rolls a configuration change through the changed brokers only, one at a time, while acks=all writes keep flowing', async () => {
          const { cluster } = scenario();
          const { writes: r, pidsBefore, pidsAfter, zookeeperPids } = await scenario().roll;
          for (const [i, b] of cluster.brokers.entries()) {
            const changed = ROLLED.includes(b.name);
            expect(readProperties(join(b.root, 'etc', 'kafka', 'server.properties')).get('num.replica.fetchers'), b.name).to.equal(changed ? '3' : '2');
            if (changed) expect(pidsAfter.get(b.name), `${b.name} runs the old configuration`).to.not.equal(pidsBefore.get(b.name));
            else expect(pidsAfter.get(b.name), `${b.name} was restarted though nothing of it changed`).to.equal(pidsBefore.get(b.name));
            expect(r.samples.some((x) => x[i]), `${b.name} went down: ${changed ? 'never' : 'yes'}`).to.equal(changed);
          }
          expect(zookeeperPids![1], 'ZooKeeper was restarted for a broker setting').to.equal(zookeeperPids![0]);
          expect(Math.max(...r.samples.map((x) => x.filter(Boolean).length)), 'two brokers were down at the same time').to.equal(1);
          const rollPlays = r.play.output.slice(r.play.output.indexOf('PLAY [Kafka brokers - roll'));
          expect(taskEvents(rollPlays)).to.deep.equal(rollEvents(cluster.brokers.filter((b) => ROLLED.includes(b.name))));

          expect(r.failed, r.failed.slice(0, 3).join('; ')).to.deep.equal([]);
          expect(r.acked.length).to.equal(r.sent);
          await expectAllReadable(cluster, 'ansible-config-roll', r.acked, r.ackedAt);
          console.log(`      (${r.sent} messages written during a ${r.play.seconds.toFixed(0)} s run that rolled the brokers)`);
        });
      }

      // One mode is enough for rolling_restart.yml (the play is the same in both); KRaft mode
      // has more to roll (controllers, then brokers) and its admin tools talk SASL_SSL.
      if (mode === 'kraft') {
        it('rolls a restart one node at a time, healthy in between, while acks=all writes keep flowing', async () => {
          const { cluster } = scenario();
          const { writes: r, pidsBefore, pidsAfter } = await scenario().roll;
          const nodes = [...metadataHosts(cluster), ...cluster.brokers];
          // Every node really restarted.
          for (const h of nodes) expect(pidsAfter.get(h.name), `${h.name} was not restarted`).to.not.equal(pidsBefore.get(h.name));
          // Never two brokers (or two controllers) down at once, and each one down at some point.
          const down = (from: number, to: number): number[] => r.samples.map((x) => x.slice(from, to).filter(Boolean).length);
          expect(Math.max(...down(0, 3)), 'two brokers were down at the same time').to.equal(1);
          expect(Math.max(...down(3, 6)), 'two controllers were down at the same time').to.equal(1);
          for (let i = 0; i < 6; i++) expect(r.samples.some((x) => x[i]), `node ${i + 1} of 6 never went down`).to.equal(true);
          // Controllers first, then brokers, one after the other, each restart between two health checks.
          const controllers = metadataHosts(cluster);
          expect(taskEvents(r.play.output)).to.deep.equal([...rollEvents(controllers), ...rollEvents(cluster.brokers)]);

          // Every write was acknowledged, and every acknowledged one is there once.
          expect(r.failed, r.failed.slice(0, 3).join('; ')).to.deep.equal([]);
          expect(r.acked.length).to.equal(r.sent);
          await expectAllReadable(cluster, 'ansible-rolling', r.acked, r.ackedAt);
          console.log(`      (${r.sent} messages written during a ${r.play.seconds.toFixed(0)} s rolling restart)`);
        });
      }
    });
  }
});
