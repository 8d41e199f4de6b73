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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { untilAborted } from '../lib/async.js';
import { clusterMetadata, ensureTopics } from '../lib/admin.js';
import { planTopics, topicNames } from '../lib/kafka.js';
import { createLogger } from '../lib/logger.js';
import type { KafkaConfig, LogConfig, TopicConfig } from '../lib/settings.js';
import { runLakeQueries, startDashboard, type RunningDashboard } from '../dashboard/index.js';
import { ServiceProcess } from '../local/service-process.js';
import type { StackConfig } from '../local/settings.js';
import { bootstrapOf, isRunning, readState, stackDown, stackUp } from '../local/stack.js';
import { queryLake, type LakeCheck } from './check.js';
import { dailyOf, replayCsv, replayRate, type DailyBar } from './days.js';
import { fmt, printCommand, reportChecks, type Say } from './report.js';
import { deleteOldDemoTopics, lastDaysOf, prepareLake } from './setup.js';
import { dashboardDay, waitForSink, watchProducer } from './watch.js';

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
      await untilAborted(signal);
      return 130;
    }
    if (options.stay && dashboard) {
      say(`dashboard stays up at ${dashboard.url}; press Ctrl-C to stop`);
      await untilAborted(signal);
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
