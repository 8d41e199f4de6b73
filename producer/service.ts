/**
 * One producer run, from configuration to summary; shared by the CLI (`tickstream
 * produce`) and the systemd entry point (`producer/main.ts`). Order of work: check every
 * input that can be checked before touching Kafka, check the topics exist (or create them
 * when asked), connect, serve metrics, pump the source through the pipeline, then flush
 * and report what was delivered, also when stopped by a signal or by an error.
 */
import type { MetricsServer } from '../lib/metrics.js';
import type { RunDeps, WorkerRole } from './deps.js';
import { LiveClock, historicalClock, type EventClock } from './clock.js';
import { gbmEvents, replayEvents, type SourceEvent } from './events.js';
import { Pacer } from './pacer.js';
import { newCounters, runPipeline } from './pipeline.js';
import { logOutcome, runFormat, serveProducerMetrics, startProgress } from './observe.js';
import type { ProgressReporter } from './progress.js';
import { startupCheck } from './preflight.js';
import { Publisher } from './publisher.js';
import type { ProducerAppConfig } from './settings.js';
import { ownsReject, ownsSymbol } from './shard.js';
import { GbmSimulator } from './sim/gbm.js';
import { describeBom } from './sources/bom.js';
import { countsOf, pickStats, type ProducerStatus } from './status.js';
import { judge } from './rejects.js';
import type { RunSummary } from './summary.js';
import { runWorkers } from './workers.js';

/**
 * A producer run: one process, or with `producer.workers` > 1 a parent that runs the
 * workers (producer/workers.ts), each of them this same function with a shard.
 */
export async function runProducer(config: ProducerAppConfig, deps: RunDeps, worker?: WorkerRole): Promise<RunSummary> {
  if (config.producer.workers > 1 && worker === undefined) return runWorkers(config, deps);
  return runOneProducer(config, deps, worker);
}

async function runOneProducer(config: ProducerAppConfig, deps: RunDeps, worker: WorkerRole | undefined): Promise<RunSummary> {
  const p = config.producer;
  const { logger, signal } = deps;
  const shard = worker?.shard;
  const now = deps.now ?? Date.now;

  const { inputs, names, partitions } = await startupCheck(config, logger, { logFormat: !shard });
  const { defaultSession, csv, info, symbols, format } = inputs;
  const gbm = csv
    ? null
    : new GbmSimulator({
        symbols: symbols!,
        start: Date.parse(p.start),
        meanIntervalMs: p.tickIntervalMs,
        volatility: p.volatility,
        drift: p.drift,
        seed: p.seed,
      });

  const publisher = await Publisher.connect({
    kafka: config.kafka,
    topics: names,
    partitions,
    queueMaxMessages: p.queueMaxMessages,
    lingerMs: p.lingerMs,
    compression: p.compression,
    statsIntervalMs: p.statsIntervalMs,
    logger,
    // Workers append to the same file: each report is one write of one line.
    ...(p.ackLog ? { ackLog: p.ackLog } : {}),
  });

  const counters = newCounters();
  let bars = 0;
  const started = performance.now();

  const status = (): ProducerStatus => ({
    csv: csv !== null,
    rows: csv?.progress.rows ?? 0,
    bytesRead: csv?.progress.bytesRead ?? 0,
    totalBytes: csv?.progress.totalBytes ?? 0,
    ...countsOf(publisher, counters.deadLetters, publisher.queued()),
    queued: publisher.queued(),
    lagMs: counters.lagMs,
    stats: publisher.stats,
    kafkaUnreachableSince: publisher.reach?.unreachableSince ?? null,
  });
  const statusTimer = worker ? setInterval(() => worker.onStatus({ ...status(), stats: pickStats(publisher.stats) }), worker.statusIntervalMs) : null;

  let metrics: MetricsServer | null = null;
  let progress: ProgressReporter | null = null;
  let interrupted = false;
  let error: Error | null = null;
  let flushed = false;
  let unconfirmed = 0;
  try {
    metrics = await serveProducerMetrics(p, deps, status, () => publisher.fatal === null);

    const clock: EventClock = p.clock === 'live' ? new LiveClock(now(), p.speed, p.maxGapSec * 1000) : historicalClock;
    const pacer = p.rate > 0 || clock.paced ? new Pacer(p.rate) : null;
    let events: AsyncIterable<SourceEvent[]>;
    if (csv) {
      events = replayEvents({
        csv,
        ...(info ? { info } : {}),
        sim: { ticksPerBar: p.ticksPerBar, seed: p.seed, defaultSession },
        onHeader: (h) => {
          progress?.clear();
          logger.info({ file: p.file, columns: h.mapping }, 'reading CSV');
          if (h.bom !== 'none') logger.warn({ file: p.file, bom: h.bom }, `the file starts with ${describeBom(h.bom)}; removed before parsing`);
        },
        onBar: () => (bars += 1),
        ...(shard ? { owns: { bar: (symbol: string) => ownsSymbol(shard, symbol), reject: (symbol: string | undefined) => ownsReject(shard, symbol) } } : {}),
      });
    } else {
      events = gbmEvents(gbm!, p.count);
    }
    logger.info(
      { source: csv ? 'csv' : 'sim', file: p.file, clock: p.clock, speed: p.clock === 'live' ? p.speed : undefined, rate: p.rate || 'unlimited', topic: names.ticks, partitions },
      'producing',
    );
    progress = startProgress(p, deps, status);
    await runPipeline(events, publisher, { clock, pacer, source: csv ? 'csv' : 'sim', file: p.file ?? '(simulator)', signal }, counters);
    interrupted = signal.aborted;
  } catch (err) {
    error = err as Error;
    interrupted = signal.aborted;
  } finally {
    if (statusTimer) clearInterval(statusTimer);
    progress?.stop();
    if (interrupted) logger.info({ produced: publisher.produced }, 'stopping: flushing the ticks in flight');
    // A stop during a Kafka outage does not wait out the flush timeout: nothing in the queue
    // can be delivered before a broker answers, and the operator asked to stop.
    flushed = await publisher.flush(p.flushTimeoutSec * 1000, () => interrupted && publisher.reach?.reachable === false);
    if (!flushed) {
      // Let one more statistics report count what is still queued.
      await new Promise((r) => setTimeout(r, p.statsIntervalMs + 200));
      unconfirmed = Math.max(1, publisher.queued());
      if (publisher.reach?.reachable === false) logger.error({ unconfirmed }, 'Kafka unreachable: stopping with ticks not acknowledged');
      else logger.error({ unconfirmed }, `flush timed out after ${p.flushTimeoutSec}s; some ticks were not acknowledged`);
    }
    // Implicitly acknowledged ticks (lib/delivery.ts): read their partitions back; found =
    // delivered, absent = failed, not re-checkable = unconfirmed (docs/producer.md). With no
    // broker answering there is nothing to read back: they stay unconfirmed.
    if (publisher.unconfirmed > 0 && publisher.reach?.reachable !== false) await publisher.recheckImplicitAcks(60_000);
    await publisher.disconnect();
    await metrics?.close();
  }
  // Those still unconfirmed count like the ticks a timed-out flush left behind (exit 1).
  unconfirmed += publisher.unconfirmed;

  const seconds = (performance.now() - started) / 1000;
  const rejects = csv ? counters.rejects.list() : undefined;
  // A worker sees only its share of the bars: the parent judges the whole (producer/workers.ts).
  const verdict =
    csv && !shard && !interrupted && error === null
      ? judge({ rows: csv.progress.rows, bars, groups: rejects ?? [], maxRejectedPercent: p.maxRejectedPercent, strict: p.strict })
      : undefined;
  if (verdict?.message) logger.warn({ file: p.file }, verdict.message);
  const summary: RunSummary = {
    source: csv ? 'csv' : 'sim',
    ...(p.file ? { file: p.file } : {}),
    ...(csv?.header ? { mapping: csv.header.mapping, bom: csv.header.bom } : {}),
    ...(format ? { format: runFormat(format) } : {}),
    rows: csv?.progress.rows ?? 0,
    blankLines: csv?.progress.blankLines ?? 0,
    bars,
    ...countsOf(publisher, counters.deadLetters, 0, unconfirmed),
    ...(rejects ? { rejects } : {}),
    ...(verdict ? { verdict } : {}),
    seconds,
    ticksPerSecond: seconds > 0 ? publisher.produced / seconds : 0,
    interrupted,
    flushed,
    kafkaUnreachable: publisher.reach?.reachable === false,
    failureReasons: Object.fromEntries(publisher.failureReasons),
    ...(publisher.implicitAcks.length > 0
      ? { implicitAcks: publisher.implicitAcks.map((a) => ({ topic: a.topic, partition: a.partition, messages: a.count, confirmed: a.confirmed, absent: a.absent })) }
      : {}),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(error ? { error: error.message } : {}),
  };
  logOutcome(logger, summary);
  return summary;
}

