/**
 * One worker process of `tickstream sink --workers N`, started by consumer/workers.ts: an
 * ordinary sink (its own consumer in the same group, its own recovery, writes and commits)
 * whose settings come from the supervisor over IPC, and whose exit status is the sink's.
 *
 * Stopping: the supervisor sends `stop` (with `abandon` for a second signal); the worker's
 * own SIGTERM/SIGINT (a terminal's Ctrl-C and systemd's stop reach the whole process group)
 * and the supervisor going away count as one ordinary stop (sink.shutdown's mode), so a signal that reaches both the supervisor and
 * the worker does not become a "second signal". Only the supervisor escalates to abandon.
 */
import type { ShutdownMode } from './stop-outcome.js';
import { runSink } from './service.js';
import type { ToSinkWorker } from './workers.js';

let stop: ((mode?: ShutdownMode) => void) | null = null;
/** A stop asked for before the sink existed; `default` is the configured sink.shutdown. */
let pending: ShutdownMode | 'default' | null = null;
const request = (mode?: ShutdownMode): void => {
  if (stop) stop(mode);
  else if (pending !== 'abandon') pending = mode ?? 'default';
};
/** The first signal's stop: sink.shutdown's mode, as a single sink process does. */
const finish = (): void => request();
process.on('SIGINT', finish);
process.on('SIGTERM', finish);
process.on('disconnect', finish);

process.on('message', (message: ToSinkWorker) => {
  if (message.type === 'stop') return request(message.mode);
  runSink(message.config, {
    signals: false,
    logBindings: { worker: message.index },
    control: (s) => {
      stop = s;
      if (pending) s(pending === 'default' ? undefined : pending);
    },
  })
    .then((code) => process.exit(code))
    .catch((err: Error) => {
      process.stderr.write(`tickstream sink worker ${message.index}: ${err.message}\n`);
      process.exit(1);
    });
});
