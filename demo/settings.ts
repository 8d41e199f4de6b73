/**
 * Settings of `tickstream demo`: what it replays, how fast, where the lake goes, and the
 * ports of the services it runs (README, "Settings of the demo").
 */
import { boolSetting, intSetting, numberSetting, stringSetting } from '../lib/config.js';

export const demoSettings = {
  data: stringSetting({ env: 'TICKSTREAM_DEMO_DATA', default: 'data/sample-daily.csv', doc: 'CSV of daily bars whose last days are replayed' }),
  lake: stringSetting({ env: 'TICKSTREAM_DEMO_LAKE', default: 'lake', doc: 'the demo lake folder (emptied on every run)' }),
  days: intSetting({ env: 'TICKSTREAM_DEMO_DAYS', default: 5, min: 1, max: 250, doc: 'trading days replayed: the last ones of the file' }),
  daySeconds: numberSetting({ env: 'TICKSTREAM_DEMO_DAY_SECONDS', default: 5, exclusiveMin: 0, doc: 'wall seconds a trading day takes to stream' }),
  ticksPerBar: intSetting({ env: 'TICKSTREAM_DEMO_TICKS_PER_BAR', default: 1170, min: 4, doc: 'ticks simulated from each daily bar (1170: one per 20 s of a 6.5-hour session)' }),
  dashboardPort: intSetting({ env: 'TICKSTREAM_DEMO_DASHBOARD_PORT', default: 8787, min: 0, max: 65535, doc: 'port of the dashboard on 127.0.0.1' }),
  producerMetricsPort: intSetting({ env: 'TICKSTREAM_DEMO_PRODUCER_METRICS_PORT', default: 9464, min: 1, max: 65535, doc: 'producer /metrics port' }),
  sinkMetricsPort: intSetting({ env: 'TICKSTREAM_DEMO_SINK_METRICS_PORT', default: 9465, min: 1, max: 65535, doc: 'sink /metrics port' }),
  catchUpTimeoutSec: intSetting({ env: 'TICKSTREAM_DEMO_CATCH_UP_TIMEOUT', default: 180, min: 5, doc: 'seconds to wait for the sink after the producer ends' }),
  dashboard: boolSetting({ env: 'TICKSTREAM_DEMO_DASHBOARD', default: true, doc: 'serve the live dashboard' }),
} as const;
