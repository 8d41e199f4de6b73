/**
 * `tickstream demo` (what `npm start` runs): the whole pipeline on this machine, on real parts.
 *
 *   1. the Kafka jars (fetched once from Maven Central) and the local stack on loopback
 *   2. the demo's topics, fresh for each run
 *   3. the sink service (a child process, as systemd would run it) writing ./lake
 *   4. the live dashboard, reading ticks from Kafka and health from the services' metrics
 *   5. the producer service replaying the last `days` trading days of the sample under their
 *      own dates: each daily bar simulated as an intraday session (Brownian bridge through
 *      its open, high, low and close; its volume split over the session), on the
 *      historical clock, rate-limited so that a trading day plays in `daySeconds`
 *   6. waiting until every delivered tick is in the lake
 *   7. the local catalog and a few named queries, printed, and the lake's daily bars checked
 *      against the file's bars of those days (and the dashboard's against the lake's)
 *
 * Why a replay under real dates, not a live market: every tick's event time is then a moment
 * of the day whose prices it carries, so the lake's dt= partitions, daily bars, VWAP and
 * movers are real per-day figures that can be checked against the data set, and no event
 * time can lie after the time Kafka stamps the message with (0 early ticks).
 *
 * Ctrl-C at any point stops the producer and the sink with SIGTERM (the sink finishes
 * and commits its open batches, so the lake holds exactly what was committed), the
 * dashboard, and the Kafka stack if the demo started it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import Kafka from 'node-rdkafka';
import { clusterMetadata, ensureTopics } from '../lib/admin.js';
import { clientSettings, planTopics, topicNames } from '../lib/kafka.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { sumOf, type Sample } from '../lib/prometheus-text.js';
import type { KafkaConfig, LogConfig, TopicConfig } from '../lib/settings.js';
import { HEALTH_METRICS, scrape } from '../dashboard/health.js';
import { runLakeQueries } from '../dashboard/lake-queries.js';
import { startDashboard, type RunningDashboard } from '../dashboard/run.js';
import { CsvSource } from '../producer/sources/csv.js';
import { queryLake, type LakeCheck } from './demo-check.js';
import { compareDaily, dailyOf, LastDays, replayCsv, replayRate, type DailyBar } from './demo-days.js';
import { CLI_ENTRY, ServiceProcess } from './service-process.js';
import type { StackConfig } from './settings.js';
import { bootstrapOf, isRunning, readState, stackDown, stackUp } from './stack.js';

const execFileAsync = promisify(execFile);

/** Marks a lake folder as the demo's own, so a later demo may clear it and nothing else. */
const DEMO_MARKER = '_tickstream_demo';

export interface DemoOptions {
  readonly stack: StackConfig;
  readonly kafka: KafkaConfig;
  readonly topics: TopicConfig;
  readonly log: LogConfig;
  /** A running Kafka cluster to use instead of the local stack. */
  readonly bootstrap?: string;
  readonly data: string;
  readonly lake: string;
  /** Trading days replayed: the last ones of the file. */
  readonly days: number;
  /** Wall seconds one trading day (every symbol's session) takes to stream. */
  readonly daySeconds: number;
  readonly ticksPerBar: number;
  readonly follow: boolean;
  readonly dashboard: boolean;
  readonly dashboardPort: number;
  /** Keep the dashboard (and stack) up after the results until Ctrl-C. */
  readonly stay: boolean;
  readonly producerMetricsPort: number;
  readonly sinkMetricsPort: number;
  readonly catchUpTimeoutSec: number;
  /** Called with what the demo checked, before it stops (tests read it). */
  readonly onChecked?: (result: DemoResult) => void;
}

export interface DemoResult {
  /** The file's bars of the replayed days. */
  readonly expected: readonly DailyBar[];
  readonly lake: LakeCheck;
  readonly delivered: number;
  /** Per symbol: the dashboard's last day, folded from its candles (null without dashboard). */
  readonly dashboardLastDay: readonly DailyBar[] | null;
}

/** Dashboard candle length: a 6.5-hour session is 78 candles, a week of them fits the board. */
export const DEMO_CANDLE_SEC = 300;

type Say = (line: string) => void;

export async function runDemo(options: DemoOptions, signal: AbortSignal, say: Say): Promise<number> {
  const log = createLogger('demo', { ...options.log, level: options.log.level === 'info' ? 'warn' : options.log.level });
  const cleanups: Array<{ what: string; run: () => Promise<unknown> }> = [];
  const runDir = resolve(options.stack.dir, 'demo');
  mkdirSync(runDir, { recursive: true });
  const aborted = (): boolean => signal.aborted;
  try {
    // 1. Kafka
    const existing = readState(options.stack.dir);
    let bootstrap: string;
    if (options.bootstrap) {
      bootstrap = options.bootstrap;
      const md = await clusterMetadata(bootstrap);
      say(`Kafka: using the running cluster at ${bootstrap} (${md.brokers.length} broker${md.brokers.length === 1 ? '' : 's'})`);
    } else if (existing && existing.members.some(isRunning)) {
      const { state } = await stackUp({ ...options.stack, mode: existing.mode, brokers: existing.members.filter((m) => m.role === 'broker').length });
      bootstrap = bootstrapOf(state);
      say(`Kafka: reusing the running ${state.mode} stack at ${bootstrap}`);
    } else {
      let lastShown = 0;
      const { state } = await stackUp(options.stack, {
        onStep: (m) => say(`Kafka: ${m}`),
        onFetchProgress: (e) => {
          if (e.downloaded - lastShown >= 10 || e.downloaded === 1) {
            lastShown = e.downloaded;
            say(`Kafka: fetching jars from Maven Central, ${e.downloaded} files (${e.artifact})`);
          }
        },
      });
      bootstrap = bootstrapOf(state);
      cleanups.push({ what: 'Kafka stack', run: () => stackDown(options.stack.dir) });
    }
    if (aborted()) return 130;
    const kafka: KafkaConfig = { ...options.kafka, bootstrap };

    // 2. Topics: a prefix per run, so a run never sees an earlier run's ticks; earlier demo topics go.
    const runId = new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
    const topics: TopicConfig = { ...options.topics, prefix: `demo-${runId}.` };
    await deleteOldDemoTopics(kafka, log);
    const md = await clusterMetadata(bootstrap);
    await ensureTopics(kafka, planTopics(topics, md.brokers.length));
    const names = topicNames(topics);
    say(`topics: ${names.ticks}, ${names.dlq}`);

    // 3. The lake: the demo's own folder, emptied for this run.
    const lake = prepareLake(options.lake);
    say(`lake: ${lake}`);

    const serviceEnv = {
      TICKSTREAM_KAFKA_BOOTSTRAP: bootstrap,
      TICKSTREAM_TOPIC_PREFIX: topics.prefix,
      TICKSTREAM_LOG_LEVEL: 'info',
    };
    const sinkLog = join(runDir, 'sink.log');
    const sink = new ServiceProcess(
      'sink',
      [
        'sink',
        '--lake', lake,
        '--group', `tickstream-demo-${runId}`,
        '--metrics-port', String(options.sinkMetricsPort),
        // Land data within seconds: the demo is watched, not batch-optimized.
        '--idle-flush', '2000',
        '--flush-interval', '10000',
      ],
      sinkLog,
      serviceEnv,
    );
    sink.start();
    cleanups.push({ what: 'sink', run: () => sink.stop(60_000) });
    say(`sink: started (pid ${sink.pid}), log ${relative(process.cwd(), sinkLog)}`);

    // 4. Dashboard
    let dashboard: RunningDashboard | null = null;
    if (options.dashboard) {
      dashboard = await startDashboard({
        kafka,
        topics,
        port: options.dashboardPort,
        health: {
          producerMetricsUrl: `http://127.0.0.1:${options.producerMetricsPort}/metrics`,
          sinkMetricsUrl: `http://127.0.0.1:${options.sinkMetricsPort}/metrics`,
        },
        // Candles in event time: a trading day passes in seconds, 78 five-minute candles.
        candleIntervalSec: DEMO_CANDLE_SEC,
        runQueries: () => runLakeQueries(lake),
        queryEveryMs: 15_000,
        log,
      });
      const d = dashboard;
      cleanups.push({ what: 'dashboard', run: () => d.stop() });
      say(`dashboard: ${dashboard.url}`);
    }
    if (aborted()) return 130;

    // 5. Producer: the last days of the file, each bar one simulated session under its own date.
    const replay = await lastDaysOf(options.data, options.days);
    if (replay.bars.length === 0) {
      say(`${options.data} holds no valid daily bars to replay`);
      return 1;
    }
    const replayFile = join(runDir, 'replay.csv');
    writeFileSync(replayFile, replayCsv(replay.bars));
    const symbols = new Set(replay.bars.map((b) => b.symbol)).size;
    const rate = replayRate(symbols, options.ticksPerBar, options.daySeconds);
    const producerLog = join(runDir, 'producer.log');
    const producer = new ServiceProcess(
      'producer',
      [
        'produce', replayFile,
        '--clock', 'historical',
        '--rate', String(rate),
        '--ticks-per-bar', String(options.ticksPerBar),
        '--metrics-port', String(options.producerMetricsPort),
        '--progress', 'off',
        '--json',
      ],
      producerLog,
      serviceEnv,
    );
    const producerOut = join(runDir, 'producer-summary.json');
    producer.start();
    cleanups.push({ what: 'producer', run: () => producer.stop(30_000) });
    say(
      `producer: replaying ${replay.days.length} trading days of ${relative(process.cwd(), resolve(options.data))} ` +
        `(${replay.days[0]} to ${replay.days[replay.days.length - 1]}, ${symbols} symbols) under their own dates: ` +
        `each daily bar a simulated session of ${options.ticksPerBar} ticks through its open, high, low and close, ` +
        `a trading day every ${options.daySeconds}s (${fmt(rate)} ticks/s); log ${relative(process.cwd(), producerLog)}`,
    );
    if (replay.skipped > 0) say(`  (${fmt(replay.skipped)} rows of the file are not valid bars or repeat a symbol's day; they are not replayed)`);

    const delivered = await watchProducer(producer, options.producerMetricsPort, options.sinkMetricsPort, signal, say);
    if (aborted()) return 130;
    if (delivered === null) {
      say(`producer failed; see ${producerLog}`);
      return 1;
    }
    writeFileSync(producerOut, JSON.stringify({ delivered }) + '\n');

    // 6. Wait for the sink
    const caughtUp = await waitForSink(options.sinkMetricsPort, delivered, options.catchUpTimeoutSec * 1000, signal, say);
    if (aborted()) return 130;
    if (!caughtUp) {
      say(`the sink did not write all ${delivered} ticks within ${options.catchUpTimeoutSec}s; see ${sinkLog}`);
      return 1;
    }

    // 7. Catalog and queries, then the check against the file (and the dashboard).
    say('');
    await printCommand(['catalog', 'crawl', '--lake', lake], say);
    if (aborted()) return 130;
    const expected = dailyOf(replay.bars);
    const results = await queryLake(lake, expected);
    for (const p of results.printed) {
      say(`$ ${p.command}`);
      for (const l of p.table.split('\n')) say(`  ${l}`);
      say('');
    }
    if (dashboard) await dashboard.server.refreshQueries();
    const checked = results.check;
    const dashboardLastDay = dashboard ? await dashboardDay(dashboard, delivered, expected) : null;
    options.onChecked?.({ expected, lake: checked, delivered, dashboardLastDay });
    const ok = reportChecks(checked, dashboardLastDay, expected, say);
    say('');
    say(`The lake is in ${lake} (Parquet, Hive-style dt= partitions). Query it:`);
    say(`  node bin/tickstream.js query --list`);
    say(`  node bin/tickstream.js query vwap --lake ${relative(process.cwd(), lake) || '.'}`);
    say(`  duckdb -c "select symbol, count(*) from read_parquet('${lake}/raw/ticks/*/*.parquet', hive_partitioning=true) group by 1"`);

    if (options.follow) {
      const sim = new ServiceProcess(
        'producer (simulator)',
        ['produce', '--clock', 'live', '--speed', '1', '--tick-interval', '200', '--metrics-port', String(options.producerMetricsPort), '--progress', 'off'],
        producerLog,
        serviceEnv,
      );
      sim.start();
      cleanups.push({ what: 'simulator', run: () => sim.stop(30_000) });
      say('--follow: the simulator keeps streaming; press Ctrl-C to stop');
      await waitForAbort(signal);
      return 130;
    }
    if (options.stay && dashboard) {
      say(`dashboard stays up at ${dashboard.url}; press Ctrl-C to stop`);
      await waitForAbort(signal);
    }
    return ok ? 0 : 1;
  } finally {
    if (signal.aborted) say('stopping...');
    for (const c of cleanups.reverse()) {
      try {
        await c.run();
      } catch (err) {
        say(`stopping ${c.what}: ${(err as Error).message}`);
      }
    }
  }
}

/** The bars of the last `days` dates of a CSV of daily bars, read as the producer reads it. */
async function lastDaysOf(file: string, days: number): Promise<{ bars: ReturnType<LastDays['bars']>; days: string[]; skipped: number }> {
  const csv = new CsvSource({ file: resolve(file), dateFormat: 'iso', delimiter: ',' });
  const last = new LastDays(days);
  let rejected = 0;
  for await (const batch of csv.events()) {
    for (const e of batch) {
      if (e.kind === 'bar') last.add(e.bar);
      else rejected += 1;
    }
  }
  const bars = last.bars();
  return { bars, days: [...new Set(dailyOf(bars).map((b) => b.day))], skipped: rejected + last.duplicates };
}

/**
 * The dashboard's view of the last replayed day, per symbol, folded from its candles, once
 * its feed has read every delivered tick (bounded wait: it reads the same topic as the sink).
 */
async function dashboardDay(dashboard: RunningDashboard, delivered: number, expected: readonly DailyBar[]): Promise<DailyBar[]> {
  const deadline = Date.now() + 15_000;
  while (dashboard.feed.received < delivered && Date.now() < deadline) await sleep(200);
  const lastDay = expected.reduce((d, b) => (b.day > d ? b.day : d), '');
  const out: DailyBar[] = [];
  for (const symbol of dashboard.server.board.symbols()) {
    const candles = dashboard.server.board.candlesOf(symbol).filter((c) => new Date(c.time * 1000).toISOString().slice(0, 10) === lastDay);
    if (candles.length === 0) continue;
    out.push({
      symbol,
      day: lastDay,
      open: candles[0]!.open,
      high: Math.max(...candles.map((c) => c.high)),
      low: Math.min(...candles.map((c) => c.low)),
      close: candles[candles.length - 1]!.close,
      volume: candles.reduce((s, c) => s + c.volume, 0),
    });
  }
  return out;
}

/** Prints what was checked; false when the lake or the dashboard disagrees with the file. */
function reportChecks(checked: LakeCheck, dashboardLastDay: readonly DailyBar[] | null, expected: readonly DailyBar[], say: Say): boolean {
  let ok = true;
  const { daily } = checked;
  if (daily.differences.length === 0) {
    say(`check: the lake's daily bars equal the file's for all ${daily.expected} replayed bars (open, high, low, close, volume)`);
  } else {
    ok = false;
    say(`check FAILED: ${daily.matched} of ${daily.expected} daily bars in the lake equal the file's; differences:`);
    for (const d of daily.differences.slice(0, 20)) say(`  ${d}`);
  }
  say(
    `check: ${fmt(checked.ticks)} ticks, ${fmt(checked.earlyTicks)} early (event time after Kafka's time), ` +
      `${fmt(checked.outOfOrder)} out of order, ${fmt(checked.redelivered)} redelivered` +
      ' (late_ticks counts every tick: these are past days, sent to Kafka now)',
  );
  if (checked.earlyTicks > 0 || checked.outOfOrder > 0 || checked.redelivered > 0) ok = false;
  if (dashboardLastDay) {
    const lastDay = expected.reduce((d, b) => (b.day > d ? b.day : d), '');
    const lastBars = expected.filter((b) => b.day === lastDay);
    const vsDashboard = compareDaily(lastBars, dashboardLastDay);
    if (vsDashboard.differences.length === 0) {
      say(`check: the dashboard's candles of ${lastDay} add up to the same daily bars, for all ${lastBars.length} symbols`);
    } else {
      ok = false;
      say(`check FAILED: the dashboard's candles of ${lastDay} differ: ${vsDashboard.differences.slice(0, 5).join('; ')}`);
    }
  }
  return ok;
}

/** The lake folder, emptied if an earlier demo made it; refused if it holds anyone else's data. */
export function prepareLake(path: string): string {
  const lake = resolve(path);
  if (existsSync(lake) && readdirSync(lake).length > 0) {
    if (!existsSync(join(lake, DEMO_MARKER))) {
      throw new Error(`${lake} holds data the demo did not write; pass --lake with another folder (the demo empties its lake on every run)`);
    }
    rmSync(lake, { recursive: true, force: true });
  }
  mkdirSync(lake, { recursive: true });
  writeFileSync(join(lake, DEMO_MARKER), 'written by tickstream demo; emptied by the next demo run\n');
  return lake;
}

async function deleteOldDemoTopics(kafka: KafkaConfig, log: Logger): Promise<void> {
  const md = await clusterMetadata(kafka.bootstrap);
  const old = md.topics.map((t) => t.name).filter((n) => /^demo-\d{14}\./.test(n));
  if (old.length === 0) return;
  const admin = Kafka.AdminClient.create({ ...clientSettings(kafka, 'demo-admin') } as Kafka.GlobalConfig);
  try {
    for (const name of old) {
      await new Promise<void>((r) => admin.deleteTopic(name, 10_000, (err) => {
        if (err) log.warn({ topic: name, err: err.message }, 'could not delete an old demo topic');
        r();
      }));
    }
  } finally {
    admin.disconnect();
  }
}

/** A service's metrics on this machine, or null while it does not answer. */
function scrapePort(port: number): Promise<Sample[] | null> {
  return scrape(`http://127.0.0.1:${port}/metrics`);
}

/**
 * Shows progress while the producer runs and returns the ticks it delivered (its own exact
 * count, from its JSON summary), or null when it failed.
 */
async function watchProducer(producer: ServiceProcess, producerPort: number, sinkPort: number, signal: AbortSignal, say: Say): Promise<number | null> {
  let done = false;
  const exit = producer.exited().then((e) => {
    done = true;
    return e;
  });
  // A service busy writing a file may miss a scrape: show its last answer (counters only
  // grow), or "?" before the first one, never a wrong zero.
  let lastProducer: Sample[] | null = null;
  let lastSink: Sample[] | null = null;
  while (!done && !signal.aborted) {
    await Promise.race([exit, sleep(5000)]);
    if (done || signal.aborted) break;
    const p = (lastProducer = (await scrapePort(producerPort)) ?? lastProducer);
    const s = (lastSink = (await scrapePort(sinkPort)) ?? lastSink);
    const count = (samples: typeof p, ref: { name: string; labels?: Record<string, string> }): string =>
      samples ? fmt(sumOf(samples, ref.name, ref.labels)) : '?';
    say(
      `  delivered ${count(p, HEALTH_METRICS.producerDelivered)} ticks, ${count(p, HEALTH_METRICS.producerDlq)} dead letters; ` +
        `sink wrote ${count(s, HEALTH_METRICS.sinkRows)} rows in ${count(s, HEALTH_METRICS.sinkFiles)} files`,
    );
  }
  if (signal.aborted) return null;
  const result = await exit;
  const summary = readSummary(producer.logFile);
  if (result.code !== 0 || !summary) return null;
  say(`producer: ${fmt(summary.ticksDelivered)} ticks delivered, ${fmt(summary.deadLetters)} dead letters, in ${summary.seconds.toFixed(1)}s`);
  return summary.ticksDelivered;
}

/** The producer's `--json` summary: the last line of its output that parses as one. */
function readSummary(logFile: string): { ticksDelivered: number; deadLetters: number; seconds: number } | null {
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.ticksDelivered === 'number' && typeof parsed.seconds === 'number') {
        return { ticksDelivered: parsed.ticksDelivered, deadLetters: Number(parsed.deadLetters ?? 0), seconds: parsed.seconds };
      }
    } catch {
      // a log line, not the summary
    }
  }
  return null;
}

async function waitForSink(sinkPort: number, delivered: number, timeoutMs: number, signal: AbortSignal, say: Say): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastSaid = 0;
  while (Date.now() < deadline && !signal.aborted) {
    const s = await scrapePort(sinkPort);
    const rows = s ? sumOf(s, HEALTH_METRICS.sinkRows.name, HEALTH_METRICS.sinkRows.labels) : 0;
    const lag = s ? sumOf(s, HEALTH_METRICS.sinkLag.name) : Infinity;
    if (rows >= delivered && lag === 0) {
      say(`sink: all ${fmt(delivered)} ticks are in the lake`);
      return true;
    }
    if (Date.now() - lastSaid > 5000) {
      lastSaid = Date.now();
      say(`  waiting for the sink: ${fmt(rows)} of ${fmt(delivered)} rows written, lag ${Number.isFinite(lag) ? fmt(lag) : '?'}`);
    }
    await sleep(500);
  }
  return false;
}

/** Runs `tickstream <args>` and prints the command and (the first lines of) its output. */
async function printCommand(args: string[], say: Say, maxLines = 40): Promise<void> {
  say(`$ tickstream ${args.join(' ')}`);
  try {
    const { stdout } = await execFileAsync(process.execPath, [CLI_ENTRY, ...args], { maxBuffer: 16 * 1024 * 1024 });
    const lines = stdout.trimEnd().split('\n');
    for (const l of lines.slice(0, maxLines)) say(`  ${l}`);
    if (lines.length > maxLines) say(`  ... (${lines.length - maxLines} more lines)`);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    say(`  failed: ${(e.stderr ?? e.message).trim()}`);
  }
  say('');
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
