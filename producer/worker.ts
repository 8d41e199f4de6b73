/**
 * One worker process of a producer run with several workers, started by
 * producer/workers.ts: it receives the run's settings and its shard over IPC, runs the
 * single-process producer on its share of the symbols, reports its counters while it runs
 * and its summary at the end.
 *
 * It stops (finishing the tick in hand and flushing) when the parent says so, when the
 * parent goes away, or on its own SIGINT/SIGTERM: a terminal's Ctrl-C and systemd's stop
 * reach every process of the group. Further signals are left to the parent, which kills
 * the workers when it is told a second time.
 */
import { createLogger } from '../lib/logger.js';
import { runProducer } from './service.js';
import { STATUS_INTERVAL_MS, type FromWorker, type ToWorker } from './workers.js';

const controller = new AbortController();
const stop = (): void => controller.abort();
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('disconnect', stop);

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'stop') return stop();
  const { config, shard } = message;
  const logger = createLogger('producer', config.log).child({ worker: shard.index });
  runProducer(config, {
    logger,
    signal: controller.signal,
    progress: 'off',
  }, {
    shard,
    statusIntervalMs: STATUS_INTERVAL_MS,
    onStatus: (status) => void send({ type: 'status', status }),
  })
    .then((summary) => send({ type: 'summary', summary }))
    .catch((err: Error) => send({ type: 'error', message: err.message }))
    .finally(() => process.exit(0));
});
