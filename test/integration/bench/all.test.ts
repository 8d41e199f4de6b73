/**
 * `npm run bench` end to end with a tiny N: it starts its own 3-broker stack (ports below,
 * apart from every other test's), runs every stage, prints one JSON object on its last line
 * with every key the issue asks for, sane values (rates and ratios above 0, the same tick
 * count at every stage, every tick once in the lake), and takes its stack down. It asserts
 * what the run did, never how fast: the numbers are the lead's to measure on a quiet machine.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireKcat } from '../../../bench/shared.js';

const PORT = 21_792;
const ZK_PORT = 14_881;
const TICKS = 3_000;

const REQUIRED = [
  'producer_ticks_per_s',
  'kcat_produce_ticks_per_s',
  'producer_vs_kcat',
  'sink_ticks_per_s',
  'kcat_consume_ticks_per_s',
  'sink_vs_kcat',
  'sink_vs_producer',
  'producer_peak_rss_mib',
  'sink_peak_rss_mib',
  'avg_raw_file_mib',
  'producer_cpu_us_per_tick',
  'sink_cpu_us_per_tick',
  'e2e_p50_ms',
  'e2e_p99_ms',
] as const;

describe('npm run bench (the whole pipeline, tiny N)', function () {
  this.timeout(900_000);
  const parent = mkdtempSync(join(tmpdir(), 'tickstream-bench-test-'));
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('prints one JSON object with every measure, equal counts, and leaves no stack behind', async () => {
    requireKcat();
    const dir = join(parent, 'run');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/all/run.ts', '--ticks', String(TICKS), '--json', '--port', String(PORT), '--zookeeper-port', String(ZK_PORT), '--dir', dir, '--e2e-rate', '1000', '--e2e-seconds', '2'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, stderr).to.equal(0);

    const lines = stdout.trim().split('\n');
    expect(lines, 'with --json the JSON object is the only output line').to.have.length(1);
    const r = JSON.parse(lines[0]!) as Record<string, unknown> & { counts: Record<string, number>; machine: Record<string, unknown> };
    for (const key of REQUIRED) {
      expect(r[key], key).to.be.a('number');
      expect(Number.isFinite(r[key]), key).to.equal(true);
    }
    for (const key of ['producer_ticks_per_s', 'kcat_produce_ticks_per_s', 'producer_vs_kcat', 'sink_ticks_per_s', 'kcat_consume_ticks_per_s', 'sink_vs_kcat', 'sink_vs_producer', 'producer_peak_rss_mib', 'sink_peak_rss_mib', 'avg_raw_file_mib', 'producer_cpu_us_per_tick', 'sink_cpu_us_per_tick', 'csv_producer_vs_kcat']) {
      expect(r[key] as number, key).to.be.greaterThan(0);
    }
    expect(r.e2e_p99_ms as number).to.be.at.least(r.e2e_p50_ms as number);
    expect(r.e2e_p50_ms as number).to.be.at.least(0);
    expect(r.e2e_ticks).to.equal(2_000);
    expect(r.counts).to.include({ sim_ticks: TICKS, topic_messages: TICKS, lake_rows: TICKS });
    expect(r.counts.csv_ticks).to.be.at.least(TICKS);
    expect(r.raw_files as number).to.be.greaterThan(0);
    expect(r.machine.nproc).to.be.a('number');
    expect(r.machine.loadavg_start).to.have.length(3);
    expect(r.command).to.be.a('string').and.include('--ticks 3000');

    expect(existsSync(dir), 'the run folder (stack, lake, inputs) is removed').to.equal(false);
    // The stack's brokers are gone: nothing answers on its first port.
    const { clusterMetadata } = await import('../../../lib/admin.js');
    let answered = true;
    await clusterMetadata(`127.0.0.1:${PORT}`, null, 2000).catch(() => (answered = false));
    expect(answered, 'no broker left on the bench stack port').to.equal(false);
  });
});
