/**
 * The producer as a service: `node --import tsx producer/main.ts`, what the systemd unit
 * runs. Configuration comes from the environment (TICKSTREAM_*) and the optional JSON file
 * in TICKSTREAM_CONFIG; logs are JSON on standard error; the exit code is 0 only when every
 * produced tick was acknowledged, 75 after a stop while no Kafka broker answered (ticks
 * unconfirmed), 2 for bad configuration, 1 otherwise.
 */
import { ConfigError, loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { runProducer } from './service.js';
import { producerSpec } from './settings.js';
import { stopOnSignals } from './shutdown.js';
import { exitCodeOf } from './summary.js';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(producerSpec);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tickstream producer: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger('producer', config.log);
  const { signal, dispose } = stopOnSignals(logger);
  try {
    const progress = config.producer.progress === 'auto' ? 'log' : config.producer.progress === 'bar' ? 'log' : config.producer.progress;
    const summary = await runProducer(config, { logger, signal, progress });
    return exitCodeOf(summary);
  } catch (err) {
    logger.error({ err: (err as Error).message }, 'producer failed');
    // A setting the file contradicts (an ambiguous date format) is a configuration error.
    return err instanceof ConfigError ? 2 : 1;
  } finally {
    dispose();
  }
}

// Exit explicitly: a Kafka client left open during an outage would keep the process alive.
process.exit(await main());
