/**
 * `tickstream produce` as a user runs it, against the shared broker: the sample through the
 * live clock, a clean stop on SIGTERM that flushes and reports what was delivered (and a
 * consumer finds exactly that), a non-zero exit when deliveries fail, clear errors for a
 * missing topic and a bad setting, and Prometheus metrics while it runs.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { ensureTopics } from '../../../lib/admin.js';
import { requireKafka, sharedKafka } from '../../support/kafka.js';
import { fetchMetrics, lastSummary, orderProblems, ProduceCommand, produceInProcess, readTicks, testConfig, uniquePrefix } from './support.js';

const CLI = ['bin/tickstream.js', 'produce'];


describe('producer: the produce command (shared broker)', function () {
  this.timeout(180_000);
  const kafka = sharedKafka();
  const common = (prefix: string): string[] => ['--bootstrap', kafka.bootstrap, '--topic-prefix', prefix, '--no-metrics', '--progress', 'log', '--json', '--log-level', 'warn'];

  before(async () => {
    await requireKafka(kafka);
  });

  it('streams the shipped sample with the live clock: event times are now, each symbol in order, exchange and currency from the file', async () => {
    const prefix = uniquePrefix('live');
    const before = Date.now();
    const r = spawnSync('node', [...CLI, 'data/sample-daily.csv', '--clock', 'live', '--speed', '2000000', '--max-gap', '1', '--ticks-per-bar', '4', '--create-topics', ...common(prefix)], { encoding: 'utf8' });
    const after = Date.now();
    expect(r.status, r.stderr).to.equal(0);
    const summary = lastSummary(r.stdout);
    expect(summary).to.deep.include({ rows: 645, bars: 645, ticksDelivered: 645 * 4, deadLetters: 0, source: 'csv' });
    const ticks = await readTicks(kafka, `${prefix}ticks`, 645 * 4);
    expect(ticks).to.have.length(645 * 4);
    expect(orderProblems(ticks)).to.deep.equal([]);
    expect(ticks.every((t) => t.ts >= before && t.ts <= after)).to.equal(true);
    expect(new Set(ticks.map((t) => `${t.symbol}/${t.exchange}/${t.currency}`))).to.deep.equal(
      new Set(['ACME/NYSE/USD', 'GLOBX/NASDAQ/USD', 'INITK/NASDAQ/USD', 'UMBRL/NYSE/USD', 'WAYNE/NYSE/USD']),
    );
  });

  it('never sends a tick before its event time on the live clock: Kafka stamps every message at or after the tick it carries', async () => {
    // Fast enough that many ticks share a millisecond, so the publisher is always close to
    // the schedule: the case where a timer firing early used to send ticks up to 84 ms
    // before their event time (issue 16).
    const prefix = uniquePrefix('early');
    const ticksPerBar = 100;
    const r = spawnSync('node', [...CLI, 'data/sample-daily.csv', '--clock', 'live', '--speed', '400000', '--ticks-per-bar', String(ticksPerBar), '--create-topics', ...common(prefix)], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(lastSummary(r.stdout)).to.deep.include({ ticksDelivered: 645 * ticksPerBar, deadLetters: 0 });
    const ticks = await readTicks(kafka, `${prefix}ticks`, 645 * ticksPerBar);
    expect(ticks).to.have.length(645 * ticksPerBar);
    const early = ticks.filter((t) => t.ts > t.kafkaTs);
    const worst = early.reduce((m, t) => Math.max(m, t.ts - t.kafkaTs), 0);
    expect(early.length, `${early.length} ticks have an event time after Kafka's time, by up to ${worst} ms`).to.equal(0);
    expect(orderProblems(ticks)).to.deep.equal([]);
  });

  it('stops on SIGTERM: flushes, reports what was delivered, exits 0, and a consumer finds exactly that', async () => {
    const prefix = uniquePrefix('sigterm');
    const run = new ProduceCommand(['--rate', '2000', '--create-topics', ...common(prefix), '--log-level', 'info']);
    let code: number | null;
    try {
      // Let it produce for a while (it would run forever: --count defaults to 0).
      await new Promise((r) => setTimeout(r, 6000));
      run.child.kill('SIGTERM');
      code = await run.exited;
    } finally {
      run.stop();
    }
    expect(code, run.stderr).to.equal(0);
    const summary = run.summary();
    expect(summary.interrupted).to.equal(true);
    expect(summary.flushed).to.equal(true);
    expect(summary.ticksFailed).to.equal(0);
    expect(summary.ticksProduced).to.be.greaterThan(1000);
    expect(summary.ticksDelivered).to.equal(summary.ticksProduced);
    expect(run.stderr).to.match(/stop requested/);
    const ticks = await readTicks(kafka, `${prefix}ticks`, summary.ticksDelivered + 1, 8000);
    expect(ticks).to.have.length(summary.ticksDelivered);
    expect(orderProblems(ticks)).to.deep.equal([]);
    expect(new Set(ticks.map((t) => t.source))).to.deep.equal(new Set(['sim']));
  });

  it('publishing as fast as possible, still answers metrics, logs progress and stops on SIGINT', async () => {
    // Without a rate and with a queue that never fills, nothing in the loop waits on I/O: it
    // must still leave the event loop room for signals, timers and HTTP requests.
    const prefix = uniquePrefix('fast');
    const args = ['--bootstrap', kafka.bootstrap, '--topic-prefix', prefix, '--create-topics', '--metrics-port', '0', '--progress', 'log', '--json', '--log-level', 'info'];
    const run = new ProduceCommand(args, { ...process.env, TICKSTREAM_PRODUCER_PROGRESS_INTERVAL: '0.5' });
    try {
      await run.waitFor('the producer producing', () => run.stderr.includes('"msg":"producing"'), 60_000);
      await new Promise((r) => setTimeout(r, 3000));
      const url = run.metricsUrl();
      expect(url, run.stderr).to.be.a('string');
      expect((await fetchMetrics(url!)).value('tickstream_producer_ticks_produced_total')).to.be.greaterThan(0);
      run.child.kill('SIGINT');
      // Liveness, not speed: a loop that starves the event loop never stops (this run has no end of its own).
      const code = await Promise.race([run.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(code, `still running 30 s after SIGINT\n${run.stderr.slice(-2000)}`).to.equal(0);
    } finally {
      run.stop();
    }
    const summary = run.summary();
    expect(summary).to.deep.include({ interrupted: true, flushed: true, ticksFailed: 0 });
    expect(summary.ticksDelivered).to.equal(summary.ticksProduced);
    expect((run.stderr.match(/"msg":"progress"/g) ?? []).length).to.be.at.least(2);
  });

  it('exits 1 and names the reason when the cluster refuses deliveries', async () => {
    const prefix = uniquePrefix('refused');
    // Every tick is larger than this topic accepts: the broker rejects each one for good.
    await ensureTopics(kafka, [
      { name: `${prefix}ticks`, partitions: 3, replicationFactor: 1, config: { 'max.message.bytes': '40' } },
      { name: `${prefix}ticks.dlq`, partitions: 1, replicationFactor: 1, config: {} },
    ]);
    const r = spawnSync('node', [...CLI, '--count', '25', ...common(prefix)], { encoding: 'utf8' });
    expect(r.status).to.equal(1);
    const summary = lastSummary(r.stdout);
    expect(summary).to.deep.include({ ticksProduced: 25, ticksFailed: 25, ticksDelivered: 0 });
    expect(Object.keys(summary.failureReasons).join()).to.match(/too large/);
    expect(r.stderr).to.match(/delivery failed/);
  });

  it('refuses a missing topic and a bad setting before producing anything', () => {
    const missing = spawnSync('node', [...CLI, '--count', '5', ...common(uniquePrefix('missing'))], { encoding: 'utf8' });
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.match(/topics it-producer-missing-\w+\.ticks, it-producer-missing-\w+\.ticks\.dlq not found .*stack topics.*--create-topics/);
    const bad = spawnSync('node', [...CLI, 'data/sample-daily.csv', '--ticks-per-bar', '2', ...common('x.')], { encoding: 'utf8' });
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/producer\.ticksPerBar \(TICKSTREAM_PRODUCER_TICKS_PER_BAR\): expected an integer >= 4/);
  });

  it('serves Prometheus metrics while it runs: ticks, dead letters, queue depth, librdkafka broker statistics', async () => {
    const prefix = uniquePrefix('metrics');
    const controller = new AbortController();
    let port = 0;
    const config = testConfig(kafka, prefix, { rate: 1000, metrics: true, metricsPort: 0, statsIntervalMs: 300 });
    const run = produceInProcess(config, controller.signal, (p) => (port = p));
    await new Promise((r) => setTimeout(r, 3000));
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    controller.abort();
    const summary = await run;
    expect(health.status).to.equal(200);
    const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    expect(value('tickstream_producer_ticks_produced_total')).to.be.greaterThan(500);
    expect(value('tickstream_producer_ticks_delivered_total')).to.be.at.most(value('tickstream_producer_ticks_produced_total'));
    expect(value('tickstream_producer_ticks_failed_total')).to.equal(0);
    expect(value('tickstream_producer_dead_letters_total')).to.equal(0);
    expect(value('tickstream_producer_queue_messages')).to.be.at.least(0);
    expect(value('tickstream_producer_rdkafka_tx_messages_total')).to.be.greaterThan(0);
    expect(text).to.match(/^tickstream_producer_rdkafka_broker_up\{broker="[^"]+",service="producer"\} 1$/m);
    expect(text).to.match(/^tickstream_producer_rdkafka_broker_rtt_avg_seconds\{/m);
    expect(text).to.match(/^tickstream_process_resident_memory_bytes/m);
    expect(summary).to.deep.include({ interrupted: true, flushed: true, ticksFailed: 0 });
    expect(summary.ticksDelivered).to.equal(summary.ticksProduced);
  });
});
