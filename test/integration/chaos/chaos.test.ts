/**
 * A short chaos run (docs/chaos.md) through its command, as `npm run chaos` runs it: its own
 * 3-broker ZooKeeper-mode stack and S3 server on ports 29650-29689, the producer at a
 * steady rate, a local and an S3 sink, and four minutes of seeded faults, a few of each
 * kind. Asserts the verdict: nothing acknowledged lost, nothing duplicated, every fault kind
 * injected, and the contract of the command (last standard output line the JSON verdict,
 * exit 0). Needs Java 17+ and moto (`.venv`, see test/README.md); without them the run
 * exits 2 naming what is missing, and the test fails with that.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULT_KINDS } from '../../../chaos/faults.js';
import { stackDown } from '../../../local/stack.js';

const PORT_BASE = 29650;
const SEED = 1405;
const MINUTES = 4;

describe('chaos: a short fault-injection run', function () {
  this.timeout(30 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-chaos-test-'));
  let child: ChildProcess | null = null;
  let stderr = '';

  after(async () => {
    // Bounded: a run still going is asked to stop (it tears down what it started), then killed.
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 240_000);
      await exited;
      clearTimeout(timer);
      await stackDown(join(dir, 'stack'), { graceMs: 10_000 }).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses and duplicates no acknowledged tick under every kind of fault', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'chaos/cli.ts', '--minutes', String(MINUTES), '--json', '--mode', 'zookeeper', '--seed', String(SEED), '--port-base', String(PORT_BASE), '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (process.env.CHAOS_TEST_DEBUG) process.stderr.write(d);
    });
    const code = await new Promise<number | null>((resolve) => child!.once('exit', (c) => resolve(c)));
    const story = `\n--- chaos standard error (last lines) ---\n${stderr.trimEnd().split('\n').slice(-40).join('\n')}`;
    const last = stdout.trimEnd().split('\n').pop() ?? '';
    expect(last.startsWith('{'), `the last standard output line is the JSON verdict${story}`).to.equal(true);
    const result = JSON.parse(last) as {
      seed: number; minutes: number; mode: string; acknowledged: number; in_lake: number; lost: number; duplicated: number; unconfirmed: number;
      faults: Record<string, number>; lost_ticks: string[]; duplicated_ticks: string[]; fresh_topics: { acknowledged: number; found: number };
      unexpected_exits: Record<string, number>;
    };
    process.stdout.write(`      ${last}\n`);
    expect([result.lost, result.duplicated], `lost ${result.lost_ticks.join(', ')}; duplicated ${result.duplicated_ticks.join(', ')}${story}`).to.deep.equal([0, 0]);
    expect(code, story).to.equal(0);
    expect(result).to.include({ seed: SEED, minutes: MINUTES, mode: 'zookeeper' });
    expect(result.acknowledged, story).to.be.greaterThan(10_000);
    expect(result.in_lake, 'every acknowledged tick in both lakes').to.equal(result.acknowledged);
    expect(result.fresh_topics.found).to.equal(result.fresh_topics.acknowledged);
    for (const kind of FAULT_KINDS) expect(result.faults[kind], `faults of kind ${kind}${story}`).to.be.greaterThan(0);
    // A sink that exits on its own under faults is a finding, even when it lost nothing.
    expect(result.unexpected_exits, story).to.deep.equal({ 'sink-local': 0, 'sink-s3': 0 });
  });
});
