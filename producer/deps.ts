/**
 * What a producer run gets from whoever starts it (the CLI, a worker process, tests), apart
 * from its settings. Its own module so that service.ts, workers.ts and observe.ts share it
 * without importing each other.
 */
import type { Logger } from '../lib/logger.js';
import type { Shard } from './shard.js';
import type { ProducerStatus } from './status.js';

export interface RunDeps {
  readonly logger: Logger;
  /** Aborting stops reading; what was produced is flushed and reported. */
  readonly signal: AbortSignal;
  /** `bar` on a terminal, `log` otherwise (resolved from producer.progress by the caller). */
  readonly progress: 'bar' | 'log' | 'off';
  /** Called once metrics are served (tests read the port). */
  readonly onMetrics?: (port: number) => void;
  /** Wall clock start of the live clock (tests pin it). */
  readonly now?: () => number;
  /** Where the JSON log lines of worker processes go (default: standard error). */
  readonly writeLogLine?: (line: string) => void;
}

/** A worker process's part in a run (producer/worker.ts): its share of the symbols and how it reports to the parent. */
export interface WorkerRole {
  readonly shard: Shard;
  /** Called every `statusIntervalMs` with the worker's counters. */
  readonly onStatus: (status: ProducerStatus) => void;
  readonly statusIntervalMs: number;
}
