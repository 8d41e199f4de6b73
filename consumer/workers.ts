/**
 * `tickstream sink --workers N` (sink.workers > 1): N sink processes in one consumer group,
 * like Kafka Connect's tasks, under this small supervisor. Each worker (consumer/worker.ts)
 * is an ordinary group member with its own consumer, recovery, writes and commits, so the
 * exactly-once rules are the single sink's: a partition belongs to one member at a time and
 * is recovered before it is consumed. The supervisor itself never talks to Kafka or the lake.
 *
 * Each worker serves its own metrics and health on sink.metricsPort + i - 1 (i = 1..N; a port
 * of 0 gives each a free one) and, with static membership, joins as `<instanceId>-i`, so no
 * two members share an id. Their logs go to standard error with `"worker": i`.
 *
 * Stopping. The first SIGINT/SIGTERM asks every worker for an ordinary stop (sink.shutdown),
 * the second for `abandon`, the third kills them and exits 130 at once. A worker that ends
 * before a stop was asked for fails the run: the others are stopped and the exit names it.
 * Exit status: 1 if any worker failed, else 75 if any stopped while Kafka was unreachable,
 * else 0 (see SINK_EXIT in service.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { SINK_EXIT } from './service.js';
import type { SinkSpecConfig } from './settings.js';
import type { ShutdownMode } from './stop-outcome.js';
import { SINK_NODE_FLAGS } from '../lib/service-node-flags.js';

/** Supervisor to worker. */
export type ToSinkWorker =
  | { readonly type: 'start'; readonly index: number; readonly config: SinkSpecConfig }
  | { readonly type: 'stop'; readonly mode?: ShutdownMode };

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** Workers run the TypeScript sources through tsx, as bin/tickstream.js does. */
const TSX_LOADER = import.meta.resolve('tsx');

/** Pure: the settings of worker `index` (1-based): one process, its own metrics port and member id. */
export function workerSinkConfig(config: SinkSpecConfig, index: number): SinkSpecConfig {
  const s = config.sink;
  return {
    ...config,
    sink: {
      ...s,
      workers: 1,
      metricsPort: s.metricsPort === 0 ? 0 : s.metricsPort + index - 1,
      instanceId: s.instanceId === undefined ? undefined : `${s.instanceId}-${index}`,
    },
  };
}

/** Pure: refuses settings the workers cannot all have (a metrics port past 65535). */
export function checkWorkerSettings(config: SinkSpecConfig): void {
  const { workers, metrics, metricsPort } = config.sink;
  if (metrics && metricsPort !== 0 && metricsPort + workers - 1 > 65535) {
    throw new ConfigError([
      { key: 'sink.workers', env: 'TICKSTREAM_SINK_WORKERS', message: `${workers} workers from metrics port ${metricsPort} go past 65535 (worker i serves metrics on sink.metricsPort+i-1)` },
    ]);
  }
}

/** How one worker ended. */
export interface WorkerEnd {
  readonly index: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Whether a stop had been asked for when it ended. */
  readonly asked: boolean;
}

/** Pure: why a worker's end fails the run, or null when it is an ordinary end. */
export function workerFailure(end: WorkerEnd): string | null {
  const how = end.signal ? `was killed by ${end.signal}` : `exited with code ${end.code}`;
  if (!end.asked) return `sink worker ${end.index} ${how} before a stop was asked for`;
  if (end.signal || (end.code !== SINK_EXIT.ok && end.code !== SINK_EXIT.kafkaUnreachable)) return `sink worker ${end.index} ${how} while stopping`;
  return null;
}

/** Pure: the supervisor's exit status from its workers' ends. */
export function supervisedExitStatus(ends: readonly WorkerEnd[]): number {
  if (ends.some((e) => workerFailure(e) !== null)) return 1;
  if (ends.some((e) => e.code === SINK_EXIT.kafkaUnreachable)) return SINK_EXIT.kafkaUnreachable;
  return SINK_EXIT.ok;
}

export async function runSinkWorkers(config: SinkSpecConfig): Promise<number> {
  checkWorkerSettings(config);
  const log = createLogger('sink', config.log);
  const n = config.sink.workers;
  let asked = false;
  const children: ChildProcess[] = [];
  const send = (message: ToSinkWorker): void => {
    for (const c of children) if (c.connected) c.send(message, () => undefined);
  };
  const stopAll = (mode?: ShutdownMode): void => {
    asked = true;
    send(mode ? { type: 'stop', mode } : { type: 'stop' });
  };
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };

  const ends = Array.from({ length: n }, (_, i) => {
    const index = i + 1;
    const child = fork(WORKER_ENTRY, [], { execArgv: [...SINK_NODE_FLAGS, '--import', TSX_LOADER], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    return new Promise<WorkerEnd>((resolve) => {
      child.once('exit', (code, signal) => {
        const end = { index, code, signal, asked };
        const failure = workerFailure(end);
        if (failure) {
          log.error({ worker: index, code, signal }, failure);
          // The run is over: the others finish what they hold and stop.
          if (!asked) stopAll();
        } else {
          log.info({ worker: index, code }, 'sink worker stopped');
        }
        resolve(end);
      });
      child.send({ type: 'start', index, config: workerSinkConfig(config, index) } satisfies ToSinkWorker);
    });
  });
  log.info({ workers: n, group: config.sink.group, metricsPorts: config.sink.metrics ? (config.sink.metricsPort === 0 ? 'any' : `${config.sink.metricsPort}-${config.sink.metricsPort + n - 1}`) : 'off' }, `sink with ${n} worker processes`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log.info({ signal, mode: config.sink.shutdown }, 'stopping the workers on signal');
      stopAll();
    } else if (signals === 2) {
      log.warn({ signal }, 'second signal: the workers abandon their open batches');
      stopAll('abandon');
    } else {
      killAll();
      process.exit(130);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('exit', killAll);
  try {
    const all = await Promise.all(ends);
    const status = supervisedExitStatus(all);
    log.info({ workers: all.map((e) => ({ worker: e.index, code: e.code, signal: e.signal })), status }, 'sink workers ended');
    return status;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('exit', killAll);
  }
}
