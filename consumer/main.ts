/**
 * The sink's plain entry point, for systemd: `node --import tsx consumer/main.ts`.
 * Settings come from the environment (and TICKSTREAM_CONFIG); see `consumer/settings.ts`.
 * With TICKSTREAM_SINK_WORKERS > 1 it supervises that many sink processes (consumer/workers.ts).
 * Exit codes: 0 after a clean stop, 75 after a stop while Kafka was unreachable (see
 * `SINK_EXIT` in service.ts and docs/sink.md), 2 for a bad setting, 1 for anything else.
 */
import { ConfigError, loadConfig } from '../lib/config.js';
import { runSink } from './service.js';
import { sinkSpec } from './settings.js';
import { runSinkWorkers } from './workers.js';

let code: number;
try {
  const config = loadConfig(sinkSpec);
  code = config.sink.workers > 1 ? await runSinkWorkers(config) : await runSink(config);
} catch (err) {
  process.stderr.write(`tickstream sink: ${(err as Error).message}\n`);
  code = err instanceof ConfigError ? 2 : 1;
}
// Exit explicitly: a Kafka client that could not close during an outage still holds a
// libuv thread, which would keep the process alive until a broker answers.
process.exit(code);
