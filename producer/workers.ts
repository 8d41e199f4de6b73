/**
 * A producer run over several worker processes (`producer.workers` > 1): the parent checks
 * the inputs and topics once, starts one worker per share of the symbols (producer/shard.ts),
 * shows their summed counters through the usual metrics endpoint and progress line, passes
 * a stop on to them, and adds their summaries up. Each worker is producer/worker.ts: a whole
 * single-process run (its own idempotent Kafka client, its own flush) over IPC.
 *
 * Stopping. The first SIGINT/SIGTERM to the parent asks every worker to finish the tick in
 * hand and flush (workers treat their own signals the same way, since a terminal's Ctrl-C
 * and systemd's stop reach the whole process group); a second signal makes the parent exit
 * at once and kill the workers. A worker that fails or dies stops the others: the run is
 * over, and the summary says which worker and why.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MetricsServer } from '../lib/metrics.js';
import { logOutcome, serveProducerMetrics, startProgress } from './observe.js';
import { startupCheck, withFormat } from './preflight.js';
import { judge } from './rejects.js';
import type { ProgressReporter } from './progress.js';
import type { RunDeps } from './deps.js';
import type { ProducerAppConfig } from './settings.js';
import { planWorkers, type Shard, type WorkerPlan } from './shard.js';
import { EMPTY_STATUS, sumStatuses, type ProducerStatus } from './status.js';
import { combineSummaries, type RunSummary } from './summary.js';

/** Parent to worker. */
export type ToWorker = { readonly type: 'start'; readonly config: ProducerAppConfig; readonly shard: Shard } | { readonly type: 'stop' };
/** Worker to parent. */
export type FromWorker =
  | { readonly type: 'status'; readonly status: ProducerStatus }
  | { readonly type: 'summary'; readonly summary: RunSummary }
  | { readonly type: 'error'; readonly message: string };

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** Workers run the TypeScript sources through tsx, as bin/tickstream.js does. */
const TSX_LOADER = import.meta.resolve('tsx');
/** How often a worker reports its counters (the progress bar redraws every 250 ms). */
export const STATUS_INTERVAL_MS = 500;

/** The run's settings for one worker: its share, and nothing it must not do twice. */
export function workerConfig(config: ProducerAppConfig, plan: WorkerPlan): ProducerAppConfig {
  return {
    ...config,
    producer: {
      ...config.producer,
      workers: 1,
      metrics: false,
      progress: 'off',
      createTopics: false,
      rate: plan.rate,
      ...(plan.symbols !== undefined ? { symbols: plan.symbols, count: plan.count ?? 0 } : {}),
    },
  };
}

class Worker {
  status: ProducerStatus = EMPTY_STATUS;
  readonly done: Promise<RunSummary>;
  private readonly child: ChildProcess;
  private stopped = false;

  constructor(
    config: ProducerAppConfig,
    readonly plan: WorkerPlan,
    writeLogLine: (line: string) => void,
    private readonly started: number,
  ) {
    this.child = fork(WORKER_ENTRY, [], { execArgv: ['--import', TSX_LOADER], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    createInterface({ input: this.child.stderr! }).on('line', writeLogLine);
    let result: RunSummary | null = null;
    let failure: string | null = null;
    this.done = new Promise((resolve) => {
      this.child.on('message', (m: FromWorker) => {
        if (m.type === 'status') this.status = m.status;
        else if (m.type === 'summary') result = m.summary;
        else failure = m.message;
      });
      this.child.on('error', (err) => (failure ??= err.message));
      this.child.on('exit', (code, signal) => {
        if (result) return resolve(result.error ? { ...result, error: `worker ${plan.shard.index}: ${result.error}` } : result);
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        resolve(this.lostSummary(failure ?? `${how} before reporting`));
      });
    });
    this.send({ type: 'start', config: workerConfig(config, plan), shard: plan.shard });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.send({ type: 'stop' });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message, () => undefined);
  }

  /**
   * A worker that ended without its summary: its last reported counters, and whatever it
   * had not seen acknowledged counted as unconfirmed (the run fails).
   */
  private lostSummary(reason: string): RunSummary {
    const s = this.status;
    const seconds = (performance.now() - this.started) / 1000;
    return {
      source: s.csv ? 'csv' : 'sim',
      rows: s.rows,
      blankLines: 0,
      bars: 0,
      ticksProduced: s.ticksProduced,
      ticksDelivered: s.ticksDelivered,
      ticksFailed: s.ticksFailed,
      ticksUnconfirmed: Math.max(0, s.ticksProduced - s.ticksDelivered - s.ticksFailed),
      deadLetters: s.deadLetters,
      deadLettersFailed: s.deadLettersFailed,
      queueFullWaits: s.queueFullWaits,
      seconds,
      ticksPerSecond: seconds > 0 ? s.ticksProduced / seconds : 0,
      interrupted: this.stopped,
      flushed: false,
      failureReasons: {},
      maxRssBytes: 0,
      error: `worker ${this.plan.shard.index}: ${reason}`,
    };
  }
}

export async function runWorkers(given: ProducerAppConfig, deps: RunDeps): Promise<RunSummary> {
  const { logger, signal } = deps;
  const { inputs, names, partitions } = await startupCheck(given, logger, { logFormat: true });
  // The workers read the file with what detection found, not detect again.
  const config = inputs.format ? { ...given, producer: withFormat(given.producer, inputs.format) } : given;
  const p = config.producer;
  const plans = planWorkers({ workers: p.workers, rate: p.rate, count: p.count, symbols: inputs.symbols });
  logger.info(
    { source: inputs.csv ? 'csv' : 'sim', file: p.file, workers: plans.length, rate: p.rate || 'unlimited', topic: names.ticks, partitions },
    `producing with ${plans.length} worker processes`,
  );

  const started = performance.now();
  const writeLogLine = deps.writeLogLine ?? ((line: string) => process.stderr.write(`${line}\n`));
  const workers = plans.map((plan) => new Worker(config, plan, writeLogLine, started));
  const stopAll = (): void => workers.forEach((w) => w.stop());
  // A second signal exits the parent at once (producer/shutdown.ts); the workers go with it.
  const killAll = (): void => workers.forEach((w) => w.kill());
  process.on('exit', killAll);
  signal.addEventListener('abort', stopAll, { once: true });
  let workerFailed = false;
  const status = (): ProducerStatus => sumStatuses(workers.map((w) => w.status));

  let metrics: MetricsServer | null = null;
  let progress: ProgressReporter | null = null;
  try {
    metrics = await serveProducerMetrics(p, deps, status, () => !workerFailed);
    progress = startProgress(p, deps, status);
    const summaries = await Promise.all(
      workers.map((w) =>
        w.done.then((s) => {
          if (s.error) {
            workerFailed = true;
            stopAll();
          }
          return s;
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const maxRssBytes = summaries.reduce((t, s) => t + s.maxRssBytes, process.resourceUsage().maxRSS * 1024);
    const combined = combineSummaries(summaries, { seconds, maxRssBytes });
    // The whole file's verdict, from every worker's bars (a CSV run that ran to its end).
    const verdict =
      inputs.csv && !combined.interrupted && combined.error === undefined
        ? judge({ rows: combined.rows, bars: combined.bars, groups: combined.rejects ?? [], maxRejectedPercent: p.maxRejectedPercent, strict: p.strict })
        : undefined;
    if (verdict?.message) logger.warn({ file: p.file }, verdict.message);
    const summary: RunSummary = verdict ? { ...combined, verdict } : combined;
    logOutcome(logger, summary);
    return summary;
  } catch (err) {
    // The parent's own part failed (e.g. the metrics port is taken): stop the workers and
    // let them flush before reporting the error.
    stopAll();
    await Promise.all(workers.map((w) => w.done));
    throw err;
  } finally {
    progress?.stop();
    await metrics?.close();
    signal.removeEventListener('abort', stopAll);
    stopAll();
    process.off('exit', killAll);
  }
}
