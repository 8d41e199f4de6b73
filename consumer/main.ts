/**
 * The sink's plain entry point, for systemd: `node --import tsx consumer/main.ts`.
 * Settings come from the environment (and TICKSTREAM_CONFIG); see `consumer/settings.ts`.
 * Exit codes: 0 after a clean stop, 2 for a bad setting, 1 for anything else.
 */
import { ConfigError, loadConfig } from '../lib/config.js';
import { runSink } from './service.js';
import { sinkSpec } from './settings.js';

try {
  await runSink(loadConfig(sinkSpec));
} catch (err) {
  process.stderr.write(`tickstream sink: ${(err as Error).message}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
