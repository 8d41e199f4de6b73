/**
 * `tickstream stack` as a user runs it: up with 3 brokers, up again (no second set), a
 * taken port (a clear error naming it), down (no process and no port left).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isOurProcess } from '../../../local/processes.js';
import { readState } from '../../../local/stack.js';

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
