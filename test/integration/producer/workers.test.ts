/**
 * `producer.workers` > 1 against the shared broker: the same ticks as one process (each
 * symbol through one worker, in order, numbered from 0), the simulator's count exact, a
 * clean stop on SIGTERM with the summed summary and metrics, and a worker that dies failing
 * the run with its name. Every rejected row reported by exactly one worker: kaggle-replay.ts.
 */
import { expect } from 'chai';
import type { RunSummary } from '../../../producer/summary.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import {
  bySymbol,
  fetchMetrics,
  orderProblems,
  ProduceCommand,
  produceInProcess,
  readTicks,
  testConfig,
  uniquePrefix,
  type ReadTick,
} from './support.js';

/** A tick without where it landed: what two runs must agree on. */
const content = (t: ReadTick): string => JSON.stringify([t.symbol, t.ts, t.price, t.volume, t.seq, t.exchange, t.currency, t.partition]);

/**
 * Runs the CLI until both workers are producing and then `runMs` more (a fixed wait would
 * depend on how loaded the machine is), then SIGTERM, or SIGKILL on worker 1; returns exit
 * code, summary, stderr and a metrics scrape taken just before.
 */
async function runCli(args: string[], opts: { runMs: number; killWorker?: boolean }): Promise<{ code: number | null; summary: RunSummary; stderr: string; metrics: Awaited<ReturnType<typeof fetchMetrics>> | null }> {
  const run = new ProduceCommand(args);
  try {
    const producing = (): number => (run.stderr.match(/"worker":\d,[^\n]*"msg":"producing"/g) ?? []).length;
    await run.waitFor('both workers producing', () => producing() === 2, 90_000);
    await new Promise((r) => setTimeout(r, opts.runMs));
    const url = run.metricsUrl();
    const metrics = url ? await fetchMetrics(url) : null;
    if (opts.killWorker) {
      // The workers log their pid with "worker":N; kill worker 1 outright.
      const pid = Number(/"pid":(\d+),"name":"producer","worker":1/.exec(run.stderr)?.[1]);
      expect(pid, run.stderr).to.be.greaterThan(0);
      process.kill(pid, 'SIGKILL');
    } else {
      run.child.kill('SIGTERM');
    }
    const code = await run.exited;
    return { code, summary: run.summary(), stderr: run.stderr, metrics };
  } finally {
    run.stop();
  }
}

describe('producer: several worker processes (shared broker)', function () {
  this.timeout(300_000);
  const kafka = sharedKafka();
  const common = (prefix: string): string[] => ['--bootstrap', kafka.bootstrap, '--topic-prefix', prefix, '--create-topics', '--progress', 'log', '--json', '--log-level', 'info'];

  before(async () => {
    await requireKafka(kafka);
  });

  it('publishes the same ticks with 3 workers as with one: each symbol through one worker, in order, numbered from 0', async () => {
    const settings = { file: 'data/sample-daily.csv', ticksPerBar: 6, seed: 5 };
    const one = uniquePrefix('w1');
    const three = uniquePrefix('w3s');
    const single = await produceInProcess(testConfig(kafka, one, settings));
    const summary = await produceInProcess(testConfig(kafka, three, { ...settings, workers: 3 }));
    expect(summary).to.deep.include({ workers: 3, rows: single.rows, bars: single.bars, ticksDelivered: single.ticksDelivered, deadLetters: 0 });
    const ticks = await readTicks(kafka, `${three}ticks`, summary.ticksDelivered + 1, 8000);
    expect(ticks).to.have.length(single.ticksDelivered);
    expect(orderProblems(ticks)).to.deep.equal([]);
    const reference = bySymbol(await readTicks(kafka, `${one}ticks`, single.ticksDelivered));
    const mine = bySymbol(ticks);
    expect([...mine.keys()].sort()).to.deep.equal([...reference.keys()].sort());
    for (const [symbol, list] of reference) expect(mine.get(symbol)?.map(content), symbol).to.deep.equal(list.map(content));
  });

  it('simulates an exact count over 2 workers, every symbol in order from seq 0', async () => {
    const prefix = uniquePrefix('wsim');
    const summary = await produceInProcess(testConfig(kafka, prefix, { workers: 2, count: 30_001, symbols: 'AAA:10,BBB:20,CCC:30' }));
    expect(summary).to.deep.include({ workers: 2, source: 'sim', ticksProduced: 30_001, ticksDelivered: 30_001, flushed: true });
    const ticks = await readTicks(kafka, `${prefix}ticks`, 30_002, 8000);
    expect(ticks).to.have.length(30_001);
    expect(orderProblems(ticks)).to.deep.equal([]);
    expect([...bySymbol(ticks).keys()].sort()).to.deep.equal(['AAA', 'BBB', 'CCC']);
  });

  it('stops on SIGTERM: every worker flushes, the summary adds them up, metrics are the sum, a consumer finds exactly that', async () => {
    const prefix = uniquePrefix('wstop');
    const r = await runCli(['--workers', '2', '--rate', '3000', '--metrics-port', '0', ...common(prefix)], { runMs: 4000 });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.summary).to.deep.include({ workers: 2, interrupted: true, flushed: true, ticksFailed: 0 });
    expect(r.summary.ticksDelivered).to.equal(r.summary.ticksProduced);
    expect(r.summary.ticksProduced).to.be.greaterThan(3000);
    expect(r.stderr.match(/"msg":"stop requested/g) ?? []).to.have.length.of.at.least(1);
    expect(r.stderr.match(/"worker":\d,.*"msg":"run interrupted"/g)).to.have.length(2);
    expect(r.metrics, 'a metrics scrape').to.not.equal(null);
    expect(r.metrics!.value('tickstream_producer_ticks_produced_total'), r.metrics!.text.slice(0, 500)).to.be.greaterThan(1000);
    expect(r.metrics!.text).to.match(/^tickstream_producer_rdkafka_broker_up\{broker="[^"]+",service="producer"\} 1$/m);
    const ticks = await readTicks(kafka, `${prefix}ticks`, r.summary.ticksDelivered + 1, 8000);
    expect(ticks).to.have.length(r.summary.ticksDelivered);
    expect(orderProblems(ticks)).to.deep.equal([]);
  });

  it('fails the run, naming the worker, when a worker dies; the other one stops and flushes', async () => {
    const prefix = uniquePrefix('wkill');
    const r = await runCli(['--workers', '2', '--rate', '2000', '--no-metrics', ...common(prefix)], { runMs: 2000, killWorker: true });
    expect(r.code, r.stderr).to.equal(1);
    expect(r.summary.error).to.equal('worker 1: was killed by SIGKILL before reporting');
    expect(r.summary.flushed).to.equal(false);
    expect(r.stderr).to.match(/"worker":0,.*"msg":"run interrupted"/);
  });
});
