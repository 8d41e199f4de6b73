/**
 * The whole pipeline's throughput in one command (issue 15):
 *
 *   npm run bench -- --ticks N [--json] [--port 29092] [--zookeeper-port 29181] [--dir D]
 *                    [--partitions 6] [--e2e-rate 50000] [--e2e-seconds 20] [--sink-workers 1]
 *                    [--kafka-client rdkafka|native] [--sink-env TICKSTREAM_SINK_X=V ...]
 *
 * On ONE fresh 3-broker stack of its own (ZooKeeper mode, in `--dir` or a new temporary
 * folder, on `--port`..+2 and `--zookeeper-port`; torn down at the end, also on failure and
 * on SIGINT/SIGTERM), one after the other, each on a fresh topic (6 partitions,
 * replication 3, min.insync.replicas 2):
 *   1. kcat -P of the repository's sample data (data/sample-daily.csv) replayed as ticks,
 *      serialized by the producer's own code (bench/shared.ts), then `tickstream produce`
 *      of that CSV (ticks per bar chosen so the replay makes about N ticks);
 *   2. kcat -P of N simulator ticks, then `tickstream produce` (simulator) of the same N;
 *   3. kcat -C of the producer's simulator topic (beginning to end), then `tickstream sink`
 *      of that topic into a local lake (default settings but the idle flush, 1 s, and no
 *      metrics server), from its assignment until its commits reach the end;
 *   4. end-to-end latency: `tickstream produce --rate R` (simulator) for `--e2e-seconds`
 *      while a consumer reading like the dashboard measures produce() to arrival
 *      (bench/all/e2e-consumer.ts says how).
 * A producer or kcat run is timed from spawn to exit (connect and final flush included).
 * CPU is user + system of the whole process tree from /proc (a one-shot command's from the
 * reaped-children counters, so up to its last instruction; the sink's within its window);
 * peak RSS is the tree's resident memory summed, sampled from /proc every 200 ms (250 ms
 * for the sink).
 *
 * Progress goes to standard error; the last line of standard output is one JSON object
 * (with --json it is the only one).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureTopics } from '../../lib/admin.js';
import { KAFKA_CLIENTS } from '../../lib/kafka-clients.js';
import { loadConfig } from '../../lib/config.js';
import { sharedSpec, type KafkaConfig } from '../../lib/settings.js';
import { distributionFor } from '../../local/jars.js';
import { stackDown } from '../../local/stack.js';
import { gbmEvents, replayEvents } from '../../producer/events.js';
import { GbmSimulator, parseSymbols } from '../../producer/sim/gbm.js';
import { parseSession } from '../../producer/sim/sessions.js';
import { CsvSource } from '../../producer/sources/csv.js';
import { endOffsets } from '../../test/integration/consumer/support.js';
import { startPrivateStack, type PrivateStack } from '../../test/support/kafka.js';
import { fileStats, kcatConsumeArgs, kcatProduceArgs, measureSink, rdkafkaVersion, requireKcat, runMeasured, writeMessages, type MeasuredRun } from '../shared.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const positive = (name: string, fallback: string): number => {
  const v = Number(opt(name, fallback));
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${opt(name, fallback)}`);
  return v;
};
const TICKS = positive('ticks', '1000000');
const JSON_ONLY = args.includes('--json');
const PORT = positive('port', '29092');
const ZK_PORT = positive('zookeeper-port', '29181');
const PARTITIONS = positive('partitions', '6');
const E2E_RATE = positive('e2e-rate', '50000');
const E2E_SECONDS = positive('e2e-seconds', '20');
const SINK_WORKERS = positive('sink-workers', '1');
/** The producer's and the sink's Kafka client (kafka.client): node-rdkafka or the batch addon. */
const KAFKA_CLIENT = opt('kafka-client', 'rdkafka');
if (!(KAFKA_CLIENTS as readonly string[]).includes(KAFKA_CLIENT)) throw new Error(`--kafka-client must be one of ${KAFKA_CLIENTS.join(', ')}, got ${KAFKA_CLIENT}`);
/** Sink settings other than the defaults, to measure a lever (`--sink-env`, repeatable; recorded in the JSON). */
const SINK_ENV: Record<string, string> = Object.fromEntries(
  args.flatMap((a, i) => (a === '--sink-env' ? [args[i + 1] ?? ''] : [])).map((kv) => {
    const m = /^(TICKSTREAM_SINK_[A-Z0-9_]+)=(.*)$/.exec(kv);
    if (!m) throw new Error(`--sink-env takes TICKSTREAM_SINK_<NAME>=<value>, got ${kv}`);
    return [m[1]!, m[2]!];
  }),
);
const SAMPLE_CSV = 'data/sample-daily.csv';
const SYMBOLS = 'AAA:100,BBB:50,CCC:20,DDD:250,EEE:75';
const BROKERS = 3;

const say = (m: string): void => void process.stderr.write(`${m}\n`);
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** The child's environment: ours without any TICKSTREAM_* setting that could point it elsewhere, and the client asked for. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TICKSTREAM_') || k === 'TICKSTREAM_CACHE') env[k] = v;
  return { ...env, TICKSTREAM_KAFKA_CLIENT: KAFKA_CLIENT, ...extra };
}

async function freshTopics(kafka: KafkaConfig, prefix: string): Promise<string> {
  const config = { 'min.insync.replicas': '2' };
  await ensureTopics(kafka, [
    { name: `${prefix}ticks`, partitions: PARTITIONS, replicationFactor: BROKERS, config },
    { name: `${prefix}ticks.dlq`, partitions: PARTITIONS, replicationFactor: BROKERS, config },
  ]);
  return `${prefix}ticks`;
}

interface Stage {
  readonly ticks: number;
  readonly run: MeasuredRun;
}

const rate = (s: { ticks: number; run: { seconds: number } }): number => s.ticks / s.run.seconds;
const cpuUs = (s: { ticks: number; run: { cpuSeconds: number } }): number => (s.run.cpuSeconds * 1e6) / s.ticks;

/** `tickstream produce` as a measured child; its JSON summary must show every tick delivered. */
async function produce(kafka: KafkaConfig, prefix: string, expected: number, extra: string[]): Promise<Stage> {
  const run = await runMeasured(
    process.execPath,
    ['bin/tickstream.js', 'produce', ...extra, '--bootstrap', kafka.bootstrap, '--topic-prefix', prefix, '--no-metrics', '--progress', 'off', '--json', '--log-level', 'warn'],
    { env: cleanEnv({}) },
  );
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { ticksDelivered: number; ticksFailed: number };
  if (summary.ticksDelivered !== expected || summary.ticksFailed !== 0) {
    throw new Error(`tickstream produce ${extra.join(' ')}: delivered ${summary.ticksDelivered} of ${expected}, ${summary.ticksFailed} failed`);
  }
  return { ticks: expected, run };
}

async function kcatProduce(kafka: KafkaConfig, prefix: string, ticks: number, messages: string): Promise<Stage> {
  return { ticks, run: await runMeasured('kcat', kcatProduceArgs(kafka.bootstrap, `${prefix}ticks`), { stdin: messages, stdout: 'ignore' }) };
}

async function lakeRows(lake: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const r = (await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${lake}/raw/ticks/**/*.parquet')`)).getRowObjectsJS();
    return Number(r[0]!.n);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Producer at a steady rate beside the dashboard-like consumer; latency percentiles in ms. */
async function endToEnd(kafka: KafkaConfig, prefix: string): Promise<{ count: number; p50: number; p90: number; p99: number; max: number; seconds: number; producedPerSecond: number }> {
  const topic = await freshTopics(kafka, prefix);
  const count = E2E_RATE * E2E_SECONDS;
  const probe = spawn(process.execPath, ['--import', 'tsx', 'bench/all/e2e-consumer.ts', topic, String(PARTITIONS), String(count)], {
    env: cleanEnv({ TICKSTREAM_KAFKA_BOOTSTRAP: kafka.bootstrap }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let probeErr = '';
  probe.stderr.on('data', (d: Buffer) => (probeErr = (probeErr + d.toString()).slice(-4000)));
  const lines = createInterface({ input: probe.stdout })[Symbol.asyncIterator]();
  try {
    const ready = await lines.next();
    if (ready.done || ready.value !== 'ready') throw new Error(`the latency consumer did not start: ${probeErr}`);
    const producer = await produce(kafka, prefix, count, ['--symbols', SYMBOLS, '--count', String(count), '--rate', String(E2E_RATE)]);
    // The rate the feed had, by the producer's own clock (its run, without the process start).
    const summary = JSON.parse(producer.run.stdout.trim().split('\n').pop()!) as { ticksPerSecond: number };
    const result = await lines.next();
    if (result.done) throw new Error(`the latency consumer ended without a result: ${probeErr}`);
    const r = JSON.parse(result.value) as { count: number; p50: number; p90: number; p99: number; max: number; seconds: number };
    if (r.count !== count) throw new Error(`the latency consumer saw ${r.count} of ${count} messages`);
    return { ...r, producedPerSecond: summary.ticksPerSecond };
  } finally {
    if (probe.exitCode === null) probe.kill('SIGTERM');
  }
}

async function main(): Promise<Record<string, unknown>> {
  const kcatVersion = requireKcat();
  const load0 = loadavg().map((l) => round(l));
  const started = new Date().toISOString();
  const dir = resolve(opt('dir', '') || mkdtempSync(join(tmpdir(), 'tickstream-bench-all-')));
  mkdirSync(dir, { recursive: true });
  const work = join(dir, 'work');
  mkdirSync(work, { recursive: true });
  const stackDir = join(dir, 'stack');
  let stack: PrivateStack | null = null;
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    // By its folder, not the handle: a start that failed half-way leaves brokers to stop too.
    if (existsSync(stackDir)) {
      say(`stopping the stack in ${stackDir} ...`);
      await stackDown(stackDir, { purge: true, graceMs: 15_000 }).catch((err: Error) => say(`stack down: ${err.message}`));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A stop asked for from outside still takes the stack down (its brokers are detached processes).
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping`);
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    say(`starting a ${BROKERS}-broker stack in ${stackDir} on ports ${PORT}-${PORT + BROKERS - 1}, ZooKeeper ${ZK_PORT} ...`);
    stack = await startPrivateStack({ mode: 'zookeeper', brokers: BROKERS, portBase: PORT, zookeeperPort: ZK_PORT, dir: stackDir });
    const kafka = { ...loadConfig(sharedSpec).kafka, bootstrap: stack.kafka.bootstrap };
    const stamp = Date.now().toString(36);

    // Inputs: the sample CSV replayed to about N ticks, and N simulator ticks, as kcat lines.
    const rows = readFileSync(SAMPLE_CSV, 'utf8').trim().split('\n').length - 1;
    const ticksPerBar = Math.max(4, Math.ceil(TICKS / rows));
    const csvMessages = join(work, 'csv.txt');
    const session = parseSession('09:30-16:00 America/New_York');
    const csvTicks = await writeMessages(
      csvMessages,
      replayEvents({ csv: new CsvSource({ file: SAMPLE_CSV, dateFormat: 'iso', delimiter: ',' }), sim: { ticksPerBar, seed: 1, defaultSession: session } }),
      'csv',
    );
    const simMessages = join(work, 'sim.txt');
    const sim = new GbmSimulator({ symbols: parseSymbols(SYMBOLS), start: Date.parse('2024-01-02T14:30:00Z'), meanIntervalMs: 1000, volatility: 0.3, drift: 0.05, seed: 1 });
    const simTicks = await writeMessages(simMessages, gbmEvents(sim, TICKS), 'sim');
    say(`inputs: ${csvTicks} CSV replay ticks (${rows} bars x ${ticksPerBar}), ${simTicks} simulator ticks`);

    const step = async (what: string, f: () => Promise<Stage>): Promise<Stage> => {
      say(`${what} ...`);
      const s = await f();
      say(`  ${Math.round(rate(s))} ticks/s, ${s.run.seconds.toFixed(1)} s, ${cpuUs(s).toFixed(2)} CPU us/tick, peak RSS ${s.run.peakRssMib.toFixed(0)} MiB`);
      return s;
    };
    const p = (name: string): string => `bench-${stamp}-${name}.`;
    await freshTopics(kafka, p('kcat-csv'));
    const kcatCsv = await step('kcat -P, CSV replay', () => kcatProduce(kafka, p('kcat-csv'), csvTicks, csvMessages));
    await freshTopics(kafka, p('csv'));
    const producerCsv = await step('tickstream produce <sample csv>', () => produce(kafka, p('csv'), csvTicks, [SAMPLE_CSV, '--ticks-per-bar', String(ticksPerBar)]));
    await freshTopics(kafka, p('kcat-sim'));
    const kcatSim = await step('kcat -P, simulator', () => kcatProduce(kafka, p('kcat-sim'), simTicks, simMessages));
    const simTopic = await freshTopics(kafka, p('sim'));
    const producerSim = await step('tickstream produce (simulator)', () => produce(kafka, p('sim'), simTicks, ['--symbols', SYMBOLS, '--count', String(TICKS)]));
    rmSync(csvMessages, { force: true });
    rmSync(simMessages, { force: true });

    const end = await endOffsets(kafka, simTopic, PARTITIONS);
    const inTopic = [...end.values()].reduce((a, b) => a + b, 0);
    if (inTopic !== simTicks) throw new Error(`${simTopic} holds ${inTopic} messages, the producer delivered ${simTicks}`);
    const kcatConsume = await step('kcat -C of the simulator topic', async () => ({
      ticks: inTopic,
      run: await runMeasured('kcat', kcatConsumeArgs(kafka.bootstrap, simTopic), { stdout: 'ignore' }),
    }));

    say(`tickstream sink${SINK_WORKERS > 1 ? ` --workers ${SINK_WORKERS}` : ''} of the simulator topic into a local lake ...`);
    const lake = join(work, 'lake');
    const sinkRun = await measureSink({
      kafka,
      topic: simTopic,
      end,
      group: `${p('sim')}sink`,
      env: cleanEnv({ TICKSTREAM_LAKE: lake, TICKSTREAM_TOPIC_PREFIX: p('sim'), TICKSTREAM_SINK_METRICS: 'false', TICKSTREAM_SINK_IDLE_FLUSH_MS: '1000', ...SINK_ENV }),
      args: SINK_WORKERS > 1 ? ['--workers', String(SINK_WORKERS)] : [],
      say,
    });
    if (sinkRun.exitCode !== 0) throw new Error(`the sink did not stop cleanly on SIGTERM: exit ${sinkRun.exitCode}`);
    const sink = { ticks: inTopic, run: sinkRun };
    const files = fileStats(join(lake, 'raw', 'ticks'));
    const sinkRows = await lakeRows(lake);
    say(`  ${Math.round(rate(sink))} ticks/s, ${sinkRun.seconds.toFixed(1)} s, ${cpuUs(sink).toFixed(2)} CPU us/tick, peak RSS ${sinkRun.peakRssMib.toFixed(0)} MiB, ${files.files} raw files, ${sinkRows} rows`);
    if (sinkRows !== inTopic) throw new Error(`the lake holds ${sinkRows} raw ticks, the topic ${inTopic}`);

    say(`end-to-end latency: tickstream produce --rate ${E2E_RATE} for ${E2E_SECONDS} s beside a dashboard-like consumer ...`);
    const e2e = await endToEnd(kafka, p('e2e'));
    say(`  p50 ${e2e.p50} ms, p99 ${e2e.p99} ms over ${e2e.count} ticks (${e2e.producedPerSecond.toFixed(0)} ticks/s produced, ${(e2e.count / e2e.seconds).toFixed(0)} ticks/s arriving)`);

    const kafkaVersion = distributionFor('zookeeper').kafkaVersion;
    return {
      ticks: TICKS,
      producer_ticks_per_s: Math.round(rate(producerSim)),
      kcat_produce_ticks_per_s: Math.round(rate(kcatSim)),
      producer_vs_kcat: round(rate(producerSim) / rate(kcatSim)),
      csv_producer_ticks_per_s: Math.round(rate(producerCsv)),
      csv_kcat_produce_ticks_per_s: Math.round(rate(kcatCsv)),
      csv_producer_vs_kcat: round(rate(producerCsv) / rate(kcatCsv)),
      producer_vs_kcat_min: round(Math.min(rate(producerSim) / rate(kcatSim), rate(producerCsv) / rate(kcatCsv))),
      sink_ticks_per_s: Math.round(rate(sink)),
      kcat_consume_ticks_per_s: Math.round(rate(kcatConsume)),
      sink_vs_kcat: round(rate(sink) / rate(kcatConsume)),
      sink_vs_producer: round(rate(sink) / rate(producerSim)),
      producer_peak_rss_mib: Math.round(Math.max(producerSim.run.peakRssMib, producerCsv.run.peakRssMib)),
      sink_peak_rss_mib: Math.round(sinkRun.peakRssMib),
      sink_hwm_rss_mib: Math.round(sinkRun.hwmMib),
      avg_raw_file_mib: round(files.bytes / files.files / 2 ** 20, 3),
      raw_files: files.files,
      producer_cpu_us_per_tick: round(cpuUs(producerSim)),
      csv_producer_cpu_us_per_tick: round(cpuUs(producerCsv)),
      kcat_produce_cpu_us_per_tick: round(cpuUs(kcatSim)),
      sink_cpu_us_per_tick: round(cpuUs(sink)),
      kcat_consume_cpu_us_per_tick: round(cpuUs(kcatConsume)),
      e2e_p50_ms: e2e.p50,
      e2e_p90_ms: e2e.p90,
      e2e_p99_ms: e2e.p99,
      e2e_max_ms: e2e.max,
      e2e_rate: E2E_RATE,
      e2e_achieved_rate: Math.round(e2e.producedPerSecond),
      // The percentiles describe the feed at --e2e-rate only when the producer kept that rate.
      e2e_rate_reached: e2e.producedPerSecond >= 0.95 * E2E_RATE,
      // Arrivals per second between the probe's first and last batch: above the produced
      // rate when the consumer fell behind and caught up (then the latency grew with the run).
      e2e_arrival_rate: Math.round(e2e.count / e2e.seconds),
      e2e_ticks: e2e.count,
      counts: { csv_ticks: csvTicks, sim_ticks: simTicks, topic_messages: inTopic, lake_rows: sinkRows },
      kafka_client: KAFKA_CLIENT,
      sink_settings: { workers: SINK_WORKERS, idle_flush_ms: 1000, other: Object.keys(SINK_ENV).length > 0 ? SINK_ENV : 'defaults' },
      e2e_how: 'Date.now() when consume(1000) returns a batch to JS (the dashboard loop) minus the Kafka CreateTime librdkafka stamps at produce(); one clock, ms',
      machine: {
        nproc: cpus().length,
        cpu: cpus()[0]?.model ?? '?',
        mem_gib: round(totalmem() / 2 ** 30, 1),
        loadavg_start: load0,
        loadavg_end: loadavg().map((l) => round(l)),
      },
      versions: { node: process.version, rdkafka: rdkafkaVersion(), kcat: kcatVersion, kafka: `${kafkaVersion} (ZooKeeper mode, ${BROKERS} brokers on this machine)` },
      topics: { partitions: PARTITIONS, replication: BROKERS, min_insync_replicas: 2 },
      started,
      finished: new Date().toISOString(),
      command: `npm run bench -- ${args.join(' ')}`.trim(),
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await teardown();
  }
}

const result = await main();
if (!JSON_ONLY) {
  for (const [k, v] of Object.entries(result)) if (typeof v !== 'object') process.stdout.write(`${k.padEnd(32)} ${String(v)}\n`);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
