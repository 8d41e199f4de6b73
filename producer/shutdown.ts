/**
 * SIGINT/SIGTERM handling for a producer run: the first signal stops reading and lets the
 * run flush and report what was delivered; a second one exits at once (130), for when the
 * cluster is gone and the flush would wait its full timeout.
 */
import type { Logger } from '../lib/logger.js';

export function stopOnSignals(logger: Logger, onFirst?: () => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      onFirst?.();
      logger.info({ signal: name }, 'stop requested: finishing the tick in hand and flushing (send the signal again to exit at once)');
      controller.abort();
      return;
    }
    logger.warn({ signal: name }, 'second stop request: exiting without waiting for the flush');
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
