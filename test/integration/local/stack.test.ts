/**
 * `tickstream stack` as a user runs it: up with 3 brokers, up again (no second set), a
 * taken port (a clear error naming it), down (no process and no port left); and `up` right
 * after the stack was killed with SIGKILL (it comes back with its data).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureTopics } from '../../../lib/admin.js';
import { fetchMetadata } from '../../../lib/kafka-probe.js';
import { waitFor } from '../../../lib/async.js';
import { isOurProcess } from '../../../local/processes.js';
import { readState } from '../../../local/stack.js';
import { consumeCount, produceAll, sharedKafka } from '../../support/kafka.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin', 'tickstream.js');
const PORT = 19392;
const ZK_PORT = 12481;

function tickstream(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 170_000 });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1' }, () => s.close(() => resolve(true)));
  });
}

describe('tickstream stack (command line)', function () {
  this.timeout(200_000);
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-stack-cli-'));
  const flags = ['--dir', dir, '--port', String(PORT), '--zookeeper-port', String(ZK_PORT), '--heap', '384m'];

  after(async () => {
    await tickstream(['stack', 'down', '--purge', '--dir', dir]).catch(() => undefined);
  });

  it('starts ZooKeeper and 3 brokers, and a second up starts nothing new', async () => {
    const first = await tickstream(['stack', 'up', '--brokers', '3', ...flags]);
    expect(first.stdout.trim()).to.equal(`127.0.0.1:${PORT},127.0.0.1:${PORT + 1},127.0.0.1:${PORT + 2}`);
    const pids = readState(dir)!.members.map((m) => m.pid);
    expect(pids.every((p) => typeof p === 'number' && p > 0)).to.equal(true);
    expect(pids).to.have.length(4);

    const second = await tickstream(['stack', 'up', '--brokers', '3', ...flags]);
    expect(second.stderr).to.match(/already running/);
    expect(readState(dir)!.members.map((m) => m.pid)).to.deep.equal(pids);

    const status = await tickstream(['stack', 'status', '--dir', dir]);
    expect(status.stdout.match(/\bup\b/g)).to.have.length(4);
  });

  it('refuses a stack of another shape over the running one', async () => {
    const err = await tickstream(['stack', 'up', '--brokers', '1', ...flags]).then(() => null, (e: { stderr: string; code: number }) => e);
    expect(err, 'second stack started').to.not.equal(null);
    expect(err!.code).to.equal(1);
    expect(err!.stderr).to.match(/stack with 3 broker\(s\) is running/);
  });

  it('stops exactly its own processes and frees every port', async () => {
    const members = readState(dir)!.members.map((m) => ({ pid: m.pid!, marker: m.configFile }));
    await tickstream(['stack', 'down', '--dir', dir]);
    for (const m of members) expect(isOurProcess(m.pid, m.marker), `pid ${m.pid} still runs`).to.equal(false);
    for (const port of [ZK_PORT, PORT, PORT + 1, PORT + 2]) expect(await portFree(port), `port ${port} still taken`).to.equal(true);
    const status = await tickstream(['stack', 'status', '--dir', dir]).then(() => 0, (e: { code: number }) => e.code);
    expect(status).to.equal(3);
  });

  it('names the port when one is already taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen({ port: PORT + 1, host: '127.0.0.1' }, () => r()));
    try {
      const err = await tickstream(['stack', 'up', '--brokers', '3', ...flags]).then(() => null, (e: { stderr: string }) => e);
      expect(err, 'stack started despite a taken port').to.not.equal(null);
      expect(err!.stderr).to.include(`port ${PORT + 1} (broker 2) is already in use`);
      // Nothing half-started stays behind.
      for (const port of [ZK_PORT, PORT, PORT + 2]) expect(await portFree(port), `port ${port} left taken`).to.equal(true);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

/** SIGKILLs every process of the stack (no shutdown at all) and waits until they are gone. */
async function killStack(dir: string): Promise<void> {
  const members = readState(dir)!.members.filter((m) => isOurProcess(m.pid, m.configFile));
  for (const m of members) process.kill(m.pid!, 'SIGKILL');
  const gone = await waitFor(() => members.every((m) => !isOurProcess(m.pid, m.configFile)), 10_000);
  expect(gone, 'killed processes still run').to.equal(true);
}

describe('tickstream stack after an unclean end (SIGKILL)', function () {
  this.timeout(200_000);
  // Ports of their own: the shared stack, the private stacks and the test above use others.
  const port = 19492;
  const zkPort = 12581;
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-stack-killed-'));
  const flags = ['--dir', dir, '--port', String(port), '--zookeeper-port', String(zkPort), '--heap', '384m'];
  const kafka = { ...sharedKafka(), bootstrap: `127.0.0.1:${port}` };
  const topic = 'survives-sigkill';
  const messages = Array.from({ length: 20 }, (_, i) => ({ key: `K${i % 3}`, value: `tick-${i}` }));

  after(async () => {
    await tickstream(['stack', 'down', '--purge', '--dir', dir]).catch(() => undefined);
  });

  it('comes back at once, keeping its topics and messages', async () => {
    await tickstream(['stack', 'up', ...flags]);
    await ensureTopics(kafka, [{ name: topic, partitions: 2, replicationFactor: 1, config: {} }]);
    await produceAll(kafka, topic, messages);
    const before = readState(dir)!.members.map((m) => m.pid);

    await killStack(dir);
    // The dead stack reads as down (its recorded pids are not taken for running processes).
    const status = await tickstream(['stack', 'status', '--dir', dir]).then(() => null, (e: { code: number; stdout: string }) => e);
    expect(status?.code).to.equal(3);
    expect(status!.stdout.match(/\bdown\b/g)).to.have.length(2);

    // ZooKeeper restores the killed broker's session, and with it /brokers/ids/1, from its
    // log: the broker's first start fails, and `up` waits that session out.
    const again = await tickstream(['stack', 'up', ...flags]);
    expect(again.stderr).to.match(/broker 1 exited: ZooKeeper still holds the registration/);
    expect(again.stdout.trim()).to.equal(`127.0.0.1:${port}`);
    const after = readState(dir)!.members;
    expect(after.every((m) => isOurProcess(m.pid, m.configFile)), 'a member is not running').to.equal(true);
    expect(after.map((m) => m.pid)).to.not.deep.equal(before);

    // `up` returns once the broker lists every broker and a controller; the controller sends
    // the partitions a moment later.
    let partitions = 0;
    await waitFor(async () => {
      const md = await fetchMetadata('127.0.0.1', port, { topics: [topic] });
      partitions = md.topics[0]?.partitions.length ?? 0;
      return partitions === 2;
    }, 20_000, 250);
    expect(partitions, `partitions of ${topic}`).to.equal(2);
    const got = await consumeCount(kafka, topic, 'after-sigkill', messages.length);
    expect(got.map((m) => m.value).sort()).to.deep.equal(messages.map((m) => m.value).sort());
  });

  it('`down` after another unclean end signals nothing and records the stack as stopped', async () => {
    await killStack(dir);
    const down = await tickstream(['stack', 'down', '--dir', dir]);
    expect(down.stderr).to.not.match(/\b(stopped|killed)\b/);
    expect(readState(dir)!.members.every((m) => m.pid === null)).to.equal(true);
  });
});
