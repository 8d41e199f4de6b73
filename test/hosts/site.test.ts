/**
 * The deployment, proven on real machines: Debian 12 hosts booted with systemd under
 * systemd-nspawn (test/hosts/README.md), reached by Ansible over SSH as `admin` with
 * `become`, exactly as EC2 hosts are. Per metadata mode (ZooKeeper first, then KRaft):
 *
 *   1. site.yml from zero: Java from Debian's packages, the pinned Kafka jars, ZooKeeper or
 *      KRaft controllers, brokers, topics, and the producer and sink shipped as a release
 *      (their own Node runtime; no compiler, npm or registry on the hosts); every unit
 *      enabled and active under systemd;
 *   2. the producer streams a generated feed and the sink writes the lake to S3 (moto);
 *      security is the roles' default: SASL_SSL with SCRAM-SHA-512 for clients and between
 *      brokers, TLS to the metadata quorum, ACLs, a private CA made by the playbook, the
 *      passwords in an Ansible Vault; a wrong password and what no ACL allows are refused,
 *      and no file a non-root user can read holds a secret;
 *   3. rolling_restart.yml under that load;
 *   4. a second site.yml changes nothing;
 *   5. a rebooted broker and a rebooted sink host come back with their services active;
 *   6. the producer stopped, the lake holds every acknowledged tick exactly once: the
 *      producer's acknowledged count equals the messages in `ticks`, and the lake holds
 *      each of those (partition, offset) once.
 *
 * Run with `npm run test:hosts` (as root: it boots machines). Needs moto on
 * TICKSTREAM_TEST_MOTO_PORT (default 5000) and the packages of the setup step
 * (`apt-get install debootstrap systemd-container openssh-client`).
 *   TICKSTREAM_HOSTS_MODES=zookeeper     one mode only
 *   TICKSTREAM_HOSTS_VARS=file.yml       extra role settings for every playbook (-e @file)
 *   TICKSTREAM_HOSTS_KEEP=1              keep the hosts' folders after the run (powered off)
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SINK_NODE_FLAGS } from '../../lib/service-node-flags.js';
import type { KafkaConfig } from '../../lib/settings.js';
import { makeVault } from '../integration/ansible/support.js';
import { tryConsume, tryProduce, wrongPasswordRefusal } from '../support/acl-probes.js';
import { sharedKafka } from '../support/kafka.js';
import { motoAnswers, SHARED_MOTO_PORT } from '../support/moto.js';
import { PROJECT_ROOT } from '../support/tools.js';
import { ensureBase } from './base.js';
import { inventoryFor, planHosts, type Group, type Mode, type PlannedHost } from './inventory.js';
import { LakeReader, type PartitionCount } from './lake.js';
import { Fleet, treeRssBytes, type Machine } from './machines.js';
import { runPlaybook } from './playbook.js';

const MODES = (process.env.TICKSTREAM_HOSTS_MODES ?? 'zookeeper,kraft').split(',').map((m) => m.trim()) as Mode[];
const UNIT: Record<Group, string> = {
  zookeeper: 'zookeeper',
  kafka_controller: 'kafka-controller',
  kafka_broker: 'kafka',
  tickstream_producer: 'tickstream-producer',
  tickstream_sink: 'tickstream-sink',
};
/** What the roles install on a host: downloaded once into the shared apt cache. */
const ROLE_PACKAGES = ['openjdk-17-jre-headless', 'python3-apt'];
const PRODUCER_RATE = 150;
const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts', 'hosts');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (line: string): void => console.log(`      [hosts] ${line}`);

/** Polls `check` until it returns a value, for at most `timeoutMs`; fails with what it last saw. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const timings: Record<string, Record<string, number | string>> = {};

for (const mode of MODES) {
  describe(`real Debian 12 hosts over SSH, ${mode} mode`, function () {
    this.timeout(20 * 60_000);
    const plan = planHosts(mode);
    const bucket = `tickstream-hosts-${mode}-${randomBytes(3).toString('hex')}`;
    const lakePrefix = 'lake';
    const logDir = join(ARTIFACTS, mode);
    const t: Record<string, number | string> = (timings[mode] = {});
    const suiteStarted = Date.now();
    let fleet: Fleet | undefined;
    let inventory = '';
    let shippedCommit = '';
    let lake: LakeReader;
    /** Every acknowledged tick once, per Kafka partition: what the lake held after the run. */
    let lakeExpected: PartitionCount[] = [];
    let peakRss = 0;
    let sampler: NodeJS.Timeout | undefined;
    // The run's secrets (vault, vault password, private CA) live outside the repository in a
    // folder only this user can read, and are removed with the hosts.
    const secretsDir = mkdtempSync(join(tmpdir(), `tickstream-hosts-${mode}-`));
    const vault = makeVault(secretsDir);
    const pkiDir = join(secretsDir, 'pki');
    const extra = [...vault.vaultArgs, ...(process.env.TICKSTREAM_HOSTS_VARS ? ['-e', `@${process.env.TICKSTREAM_HOSTS_VARS}`] : [])];

    const hostOf = (g: Group): PlannedHost => plan.find((h) => h.group === g)!;
    const machine = (h: PlannedHost): Machine => fleet!.machine(h.name);
    const ssh = async (h: PlannedHost, command: string, timeoutMs = 120_000): Promise<string> => {
      const r = await fleet!.ssh(machine(h), command, timeoutMs);
      if (r.code !== 0) throw new Error(`${h.name}: \`${command}\` exited ${r.code}: ${r.stdout}${r.stderr}`);
      return r.stdout;
    };
    const unitState = async (h: PlannedHost): Promise<string> =>
      (await fleet!.ssh(machine(h), `systemctl is-enabled ${UNIT[h.group]}; systemctl is-active ${UNIT[h.group]}`)).stdout.trim().replace(/\n/g, ' ');

    /** The brokers' admin listener (inter-broker) bootstrap list, from broker-1's own server.properties. */
    const adminBootstrap = async (): Promise<string> => {
      const props = await ssh(hostOf('kafka_broker'), 'sudo cat /etc/kafka/server.properties');
      const get = (k: string): string => new RegExp(`^${k.replace(/\./g, '\\.')}=(.*)$`, 'm').exec(props)?.[1]?.trim() ?? '';
      const name = get('inter.broker.listener.name');
      const port = get('advertised.listeners').split(',').find((l) => l.startsWith(`${name}://`))!.split(':').pop()!;
      return plan.filter((h) => h.group === 'kafka_broker').map((b) => `${b.address}:${port}`).join(',');
    };
    /** A client of the brokers' client listener (SASL_SSL) as `user`, trusting the run's CA. */
    const clientAs = async (user: 'tickstream-producer' | 'tickstream-sink', password: string): Promise<KafkaConfig> => {
      const props = await ssh(hostOf('kafka_broker'), 'sudo cat /etc/kafka/server.properties');
      const advertised = /^advertised\.listeners=(.*)$/m.exec(props)?.[1] ?? '';
      const port = advertised.split(',').find((l) => l.startsWith('CLIENT://'))?.split(':').pop();
      if (!port) throw new Error(`no CLIENT listener in broker-1's advertised.listeners: ${advertised}`);
      return {
        ...sharedKafka(),
        bootstrap: plan.filter((h) => h.group === 'kafka_broker').map((b) => `${b.address}:${port}`).join(','),
        securityProtocol: 'sasl_ssl',
        saslMechanism: 'SCRAM-SHA-512',
        saslUsername: user,
        saslPassword: password,
        caLocation: join(pkiDir, 'ca.pem'),
      };
    };
    const kafkaTool = async (args: string): Promise<string> =>
      ssh(hostOf('kafka_broker'), `sudo /opt/kafka/bin/kafka ${args.replace('@BOOT', await adminBootstrap())} --command-config /etc/kafka/admin.properties`);

    before(async function () {
      this.timeout(15 * 60_000);
      if (!(await motoAnswers(SHARED_MOTO_PORT))) {
        throw new Error(`no moto server answers on 127.0.0.1:${SHARED_MOTO_PORT}: start one with ` +
          `\`.venv/bin/moto_server -H 127.0.0.1 -p ${SHARED_MOTO_PORT}\` (TICKSTREAM_TEST_MOTO_PORT picks the port), or run \`bash .ci/run\``);
      }
      const endpoint = `http://127.0.0.1:${SHARED_MOTO_PORT}`;
      lake = new LakeReader(endpoint, bucket, lakePrefix, join(logDir, 'lake'));
      await lake.client.send(new CreateBucketCommand({ Bucket: bucket }));

      shippedCommit = execFileSync('git', ['-C', PROJECT_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
      const base = await ensureBase(log);
      t.baseBuildSeconds = base.built ? base.seconds : 'cached';
      let started = Date.now();
      fleet = Fleet.create(base.dir, plan, log);
      t.createSeconds = (Date.now() - started) / 1000;
      started = Date.now();
      const boots = await fleet.bootAll();
      t.bootAllSeconds = (Date.now() - started) / 1000;
      t.bootMaxPerHostSeconds = Math.max(...boots.values());
      log(`${plan.length} hosts running in ${t.bootAllSeconds}s (slowest ${t.bootMaxPerHostSeconds}s)`);
      // Hosts that shared control groups would fail each other's units (test/hosts/cgroups.ts).
      const booted = fleet;
      for (const m of plan.map((h) => booted.machine(h.name))) {
        const groups = booted.initCgroups(m);
        expect(groups, `${m.name}: the control groups of its PID 1`).to.not.be.empty;
        for (const g of groups) expect(g, `${m.name}: PID 1's group`).to.include(`/tickstream-hosts/${basename(booted.runDir)}-${m.name}/`);
      }
      const f = fleet;
      sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRssBytes(f.pids()))), 5000);

      // Java is downloaded once into the shared apt cache, not once per host.
      started = Date.now();
      await fleet.warmAptCache(fleet.machine(plan[0]!.name), ROLE_PACKAGES);
      t.aptWarmSeconds = (Date.now() - started) / 1000;

      mkdirSync(logDir, { recursive: true });
      inventory = join(logDir, 'inventory.json');
      writeFileSync(inventory, JSON.stringify(inventoryFor(plan, {
        mode,
        sshKey: fleet.key,
        s3Endpoint: endpoint,
        lake: `s3://${bucket}/${lakePrefix}`,
        producerRate: PRODUCER_RATE,
        // The commit checked out when the suite started: a commit made while it runs must not
        // turn the second site.yml into a new release.
        vars: { tickstream_pki_dir: pkiDir, tickstream_service_git_ref: shippedCommit },
      }), null, 2));
    });

    after(async function () {
      this.timeout(5 * 60_000);
      if (sampler) clearInterval(sampler);
      if (fleet) {
        const started = Date.now();
        await fleet.destroy();
        t.teardownSeconds = (Date.now() - started) / 1000;
      }
      rmSync(secretsDir, { recursive: true, force: true });
      t.peakHostsRssMiB = Math.round(peakRss / 2 ** 20);
      t.suiteSeconds = (Date.now() - suiteStarted) / 1000;
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, `timings-${mode}.json`), JSON.stringify(t, null, 2));
      log(`${mode} timings: ${JSON.stringify(t)}`);
    });

    it('runs site.yml from zero over SSH and leaves every unit enabled and active under systemd', async () => {
      const run = await runPlaybook('site.yml', inventory, logDir, extra);
      t.siteFirstSeconds = run.seconds;
      log(`site.yml from zero: ${run.seconds}s`);
      for (const h of plan) {
        expect(run.recap.get(h.name), `${h.name} in the recap`).to.include({ failed: 0, unreachable: 0 });
        expect(await unitState(h), `${UNIT[h.group]} on ${h.name}`).to.equal('enabled active');
        expect((await ssh(h, 'ps -o comm= -p 1')).trim(), `PID 1 of ${h.name}`).to.equal('systemd');
      }
    });

    it('runs the services from the shipped release: its own Node runtime, no compiler, npm or registry on the host', async () => {
      for (const g of ['tickstream_producer', 'tickstream_sink'] as const) {
        const h = hostOf(g);
        const current = (await ssh(h, 'readlink -f /opt/tickstream/current')).trim();
        expect(current).to.match(/^\/opt\/tickstream\/releases\/[0-9a-f]{12}-node\d+\.\d+\.\d+$/);
        const main = (await ssh(h, `systemctl show -p MainPID --value ${UNIT[g]}`)).trim();
        const exe = (await ssh(h, `sudo readlink /proc/${main}/exe`)).trim();
        expect(exe, `${UNIT[g]}'s process`).to.equal(`${current}/runtime/bin/node`);
        expect((await ssh(h, `ps -o user= -p ${main}`)).trim()).to.equal('tickstream');
        const tools = await fleet!.ssh(machine(h), 'command -v gcc cc g++ make npm node nodejs');
        expect(tools.stdout.trim(), `compilers or npm on ${h.name}`).to.equal('');
        expect(await ssh(h, `cd ${current} && runtime/bin/node -p "require('node-rdkafka').features.join(',')"`)).to.match(/\bssl\b.*\bsasl_scram\b/);
        expect((await fleet!.ssh(machine(h), `test -e ${current}/node_modules/cdktf || test -e ${current}/node_modules/@cdktf/provider-aws`)).code, 'cdktf shipped').to.not.equal(0);
      }
    });

    it('streams ticks from the producer through Kafka into the lake on S3', async () => {
      const started = Date.now();
      const counts = await waitFor('the first raw tick files in the lake', 300_000, async () => {
        const c = await lake.counts();
        return c.reduce((n, p) => n + p.rows, 0) > 0 ? c : undefined;
      }, 5000);
      t.firstLakeRowsSeconds = (Date.now() - started) / 1000;
      log(`lake after ${t.firstLakeRowsSeconds}s: ${counts.reduce((n, p) => n + p.rows, 0)} ticks`);
    });

    it('runs one sink worker per core of the sink host under its unit, each serving its own metrics', async () => {
      const h = hostOf('tickstream_sink');
      const cores = Number((await ssh(h, 'nproc')).trim());
      const env = await ssh(h, `sudo cat /etc/tickstream/sink.env`);
      expect(env, 'the unit\'s environment').to.match(new RegExp(`^TICKSTREAM_SINK_WORKERS=${cores}$`, 'm'));
      // The sink's V8 young-generation cap (lib/service-node-flags.ts), inherited by its workers.
      expect(env, 'the unit\'s NODE_OPTIONS').to.match(new RegExp(`^NODE_OPTIONS=.* ${SINK_NODE_FLAGS.join(' ')}$`, 'm'));
      const main = (await ssh(h, `systemctl show -p MainPID --value ${UNIT.tickstream_sink}`)).trim();
      const workers = (await ssh(h, `pgrep -P ${main} -f consumer/worker || true`)).trim().split('\n').filter((l) => l !== '');
      expect(workers.length, `worker processes under the supervisor (pid ${main})`).to.equal(cores);
      for (let i = 1; i <= cores; i++) {
        const url = `http://${h.address}:${9465 + i - 1}/metrics`;
        const body = await waitFor(`${url} to answer`, 60_000, async () => {
          const res = await fetch(url).catch(() => undefined);
          return res?.ok ? await res.text() : undefined;
        }, 2000);
        expect(body, url).to.match(/^tickstream_sink_/m);
      }
      log(`sink host: ${cores} workers, metrics on ${9465}-${9465 + cores - 1}`);
    });

    it('refuses a wrong password and what no ACL allows over SASL_SSL', async () => {
      const producer = await clientAs('tickstream-producer', vault.passwords.producer);
      const sink = await clientAs('tickstream-sink', vault.passwords.sink);
      const wrong = await wrongPasswordRefusal(producer);
      expect(wrong.connectError, 'a wrong password connected').to.not.equal(null);
      expect(wrong.logs).to.match(/SASL authentication error: .*invalid credentials/);
      expect(await tryProduce(sink, 'ticks'), 'the sink user wrote to ticks').to.match(/Topic authorization failed/i);
      expect(await tryProduce(producer, 'tickstream-no-acl'), 'the producer user wrote a topic no ACL names').to.match(/Topic authorization failed/i);
      expect(await tryConsume(producer, 'ticks', 'tickstream-sink'), 'the producer user read ticks').to.match(/(Group|Topic) authorization failed/i);
    });

    it('keeps every secret out of files, environments and command lines a non-root user can read', async () => {
      const secrets = Object.values(vault.passwords);
      // The passwords reach the host on standard input, into a file only admin can read: on a
      // command line they would be the leak the check looks for. Private keys are looked for
      // where configuration and data live, not in the shipped software (libraries and tests
      // contain the marker text).
      const search = (where: string): string =>
        `umask 077; f=$(mktemp); cat > "$f"; ${where}; status=$?; rm -f "$f"; exit $status`;
      const passwords = `${secrets.join('\n')}\n`;
      const keyMarkers = "-e 'BEGIN PRIVATE KEY' -e 'BEGIN ENCRYPTED PRIVATE KEY'";
      for (const h of plan) {
        // Every file that holds a password or a private key: readable by its owner only.
        const files = await fleet!.ssh(machine(h), search(
          `{ sudo grep -rlF -f "$f" /etc /opt /var/lib /srv /home /root /tmp /run; sudo grep -rlF ${keyMarkers} /etc /var/lib /srv /home /root /tmp /run; } 2>/dev/null` +
          ` | grep -vxF "$f" | sort -u | xargs -r sudo stat -c '%a %U %n'`), 300_000, passwords);
        const readable = files.stdout.trim().split('\n').filter((l) => l !== '' && !/^[4-7]00 /.test(l));
        expect(readable, `files on ${h.name} that others can read and that hold a secret`).to.deep.equal([]);
        // No process shows a password in its command line (world-readable) or its environment.
        const leaks = await fleet!.ssh(machine(h), search(
          `sudo sh -c 'for p in /proc/[0-9]*; do cat $p/cmdline $p/environ; echo; done 2>/dev/null' | tr '\\0' '\\n' | grep -cF -f "$f"`), 120_000, passwords);
        expect(leaks.stdout.trim(), `command lines or environments on ${h.name} holding a password`).to.equal('0');
      }
      // The services get their password as a systemd credential, present only while they run.
      for (const g of ['tickstream_producer', 'tickstream_sink'] as const) {
        const cred = await ssh(hostOf(g), `sudo stat -c '%a %U' /run/credentials/${UNIT[g]}.service/kafka-sasl-password`);
        expect(cred.trim(), `${UNIT[g]}'s credential`).to.match(/^[4-6]00 (root|tickstream)$/);
      }
    });

    it('rolls a restart through the cluster with rolling_restart.yml while the feed runs', async () => {
      const run = await runPlaybook('rolling_restart.yml', inventory, logDir, extra);
      t.rollingRestartSeconds = run.seconds;
      for (const g of ['tickstream_producer', 'tickstream_sink'] as const) expect(await unitState(hostOf(g)), UNIT[g]).to.equal('enabled active');
    });

    it('changes nothing on a second site.yml run', async () => {
      const run = await runPlaybook('site.yml', inventory, logDir, extra);
      t.siteSecondSeconds = run.seconds;
      const changed = [...run.recap].filter(([, c]) => c.changed !== 0 || c.failed !== 0);
      const tasks = run.output.split('\n').filter((l) => l.startsWith('changed:')).slice(0, 20);
      expect(changed, `hosts with changes:\n${tasks.join('\n')}`).to.deep.equal([]);
      expect(run.recap.size).to.equal(plan.length);
    });

    it('brings a rebooted broker and a rebooted sink host back with their services active', async () => {
      for (const h of [plan.find((x) => x.name === 'broker-2')!, hostOf('tickstream_sink')]) {
        const before = (await ssh(h, `systemctl show -p ActiveEnterTimestampMonotonic --value ${UNIT[h.group]}`)).trim();
        const seconds = await fleet!.reboot(machine(h));
        t[`reboot_${h.name}_seconds`] = seconds;
        const state = await waitFor(`${UNIT[h.group]} active on ${h.name} after the reboot`, 120_000, async () => {
          const s = await unitState(h);
          return s === 'enabled active' ? s : undefined;
        }, 2000);
        expect(state).to.equal('enabled active');
        const after = (await ssh(h, `systemctl show -p ActiveEnterTimestampMonotonic --value ${UNIT[h.group]}`)).trim();
        expect(after, `${h.name} started its unit anew`).to.not.equal(before);
      }
      // The rebooted broker catches up before anything else happens to the cluster.
      await waitFor('no under-replicated partition after the broker reboot', 300_000, async () =>
        (await kafkaTool('topics --bootstrap-server @BOOT --describe --under-replicated-partitions')).trim() === '' ? true : undefined);
    });

    it('holds every acknowledged tick in the lake exactly once', async () => {
      const producer = hostOf('tickstream_producer');
      await ssh(producer, `sudo systemctl stop ${UNIT.tickstream_producer}`, 180_000);
      const journal = await ssh(producer, `sudo journalctl -u ${UNIT.tickstream_producer} -o cat --no-pager`);
      const summaries = journal.split('\n').flatMap((line) => {
        try {
          const rec = JSON.parse(line) as { summary?: Record<string, unknown> };
          return rec.summary ? [rec.summary] : [];
        } catch {
          return [];
        }
      });
      expect(summaries.length, 'producer runs that logged a summary').to.be.greaterThan(0);
      for (const s of summaries) {
        expect(s, 'a producer run').to.include({ ticksFailed: 0, ticksUnconfirmed: 0, flushed: true });
        expect(s.error).to.equal(undefined);
      }
      const acknowledged = summaries.reduce((n, s) => n + Number(s.ticksDelivered), 0);

      const offsets = await kafkaTool('run-class org.apache.kafka.tools.GetOffsetShell --bootstrap-server @BOOT --topic ticks');
      const end = new Map(offsets.trim().split('\n').map((l) => {
        const [, p, o] = l.trim().split(':');
        return [Number(p), Number(o)] as const;
      }));
      const inTopic = [...end.values()].reduce((a, b) => a + b, 0);
      expect(inTopic, 'messages in ticks = ticks the producer saw acknowledged').to.equal(acknowledged);

      const started = Date.now();
      const counts = await waitFor(`the lake to hold all ${acknowledged} ticks`, 300_000, async () => {
        const c = await lake.counts();
        return c.reduce((n, p) => n + p.rows, 0) >= acknowledged ? c : undefined;
      }, 5000);
      t.lakeCatchUpSeconds = (Date.now() - started) / 1000;
      t.ticksAcknowledged = acknowledged;
      const expected: PartitionCount[] = [...end].filter(([, o]) => o > 0).sort((a, b) => a[0] - b[0])
        .map(([partition, o]) => ({ partition, rows: o, distinctOffsets: o, minOffset: 0, maxOffset: o - 1 }));
      expect(counts, 'per partition: every offset once').to.deep.equal(expected);
      lakeExpected = expected;
      log(`${acknowledged} acknowledged ticks, each once in the lake (${counts.length} partitions)`);
    });

    it('compacts the lake from the sink host\'s timer unit: one file per time partition, every tick still once', async () => {
      expect(lakeExpected, 'the lake as the exactly-once test above found it').to.not.be.empty;
      const sink = hostOf('tickstream_sink');
      const timer = (await fleet!.ssh(machine(sink), 'systemctl is-enabled tickstream-compact.timer; systemctl is-active tickstream-compact.timer')).stdout;
      expect(timer.trim().replace(/\n/g, ' '), 'tickstream-compact.timer after the reboot').to.equal('enabled active');
      const before = await lake.sync();
      // The deployed schedule only touches partitions closed for a day; an operator's run now,
      // for partitions just written (the producer stopped, the sink has committed everything):
      // a runtime drop-in, gone at the next boot.
      const dropIn = '/run/systemd/system/tickstream-compact.service.d';
      await ssh(sink, `sudo mkdir -p ${dropIn} && printf '[Service]\\nEnvironment=TICKSTREAM_COMPACT_MIN_AGE_HOURS=0 TICKSTREAM_COMPACT_GRACE_SECONDS=0\\n' | sudo tee ${dropIn}/now.conf >/dev/null && sudo systemctl daemon-reload`);
      const started = Date.now();
      const run = await fleet!.ssh(machine(sink), 'sudo systemctl start tickstream-compact.service', 600_000);
      t.compactSeconds = (Date.now() - started) / 1000;
      await ssh(sink, `sudo rm -r ${dropIn} && sudo systemctl daemon-reload`);
      const journal = await ssh(sink, 'sudo journalctl -u tickstream-compact.service -o cat --no-pager');
      expect(run.code, `systemctl start tickstream-compact:\n${run.stderr}\n${journal.slice(-3000)}`).to.equal(0);
      expect(journal).to.match(/^compaction of s3:\/\/.* took /m);
      expect((await ssh(sink, 'systemctl show -p Result --value tickstream-compact.service')).trim()).to.equal('success');

      const after = await lake.sync();
      const folders = (keys: string[]): Map<string, number> => {
        const n = new Map<string, number>();
        for (const k of keys) n.set(k.slice(0, k.lastIndexOf('/')), (n.get(k.slice(0, k.lastIndexOf('/'))) ?? 0) + 1);
        return n;
      };
      const perFolder = folders(after.keys);
      expect([...perFolder.keys()].sort(), 'the same time partitions').to.deep.equal([...folders(before.keys).keys()].sort());
      expect([...perFolder].filter(([, n]) => n !== 1), 'time partitions with more than one file after compaction').to.deep.equal([]);
      for (const k of after.keys) expect(k.split('/').pop(), 'a compacted file').to.match(/^compacted-/);
      expect(await lake.counts(), 'per partition: every offset once, after compaction').to.deep.equal(lakeExpected);
      log(`compaction: ${before.keys.length} raw tick files -> ${after.keys.length} in ${t.compactSeconds}s`);
    });
  });
}
