/**
 * Settings of the producer service (`tickstream produce`, `producer/main.ts`): what to
 * read or simulate, how to turn daily bars into ticks, how fast to publish, and how to
 * expose progress and metrics. Every setting has a TICKSTREAM_PRODUCER_* variable and a
 * key in the `producer` section of the JSON config file; CLI flags override both.
 */
import {
  boolSetting,
  enumSetting,
  intSetting,
  numberSetting,
  stringSetting,
  type ConfigOf,
  type Setting,
} from '../lib/config.js';
import { sharedSpec } from '../lib/settings.js';

export const CLOCKS = ['historical', 'live'] as const;
export type ClockMode = (typeof CLOCKS)[number];

export const PROGRESS_MODES = ['auto', 'bar', 'log', 'off'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** `symbol=Ticker,date=Date` in the environment, an object in the file. */
function mappingSetting(opts: { env: string; doc: string }): Setting<Readonly<Record<string, string>> | undefined> {
  return {
    env: opts.env,
    doc: opts.doc,
    default: undefined,
    parse(raw) {
      if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
        const entries = Object.entries(raw as Record<string, unknown>);
        if (!entries.every(([, v]) => typeof v === 'string' && v.length > 0)) throw new Error('expected an object of role -> column name');
        return Object.fromEntries(entries) as Record<string, string>;
      }
      if (typeof raw !== 'string') throw new Error('expected role=column[,role=column...]');
      const out: Record<string, string> = {};
      for (const part of raw.split(',')) {
        const i = part.indexOf('=');
        const role = part.slice(0, i).trim();
        const column = part.slice(i + 1).trim();
        if (i <= 0 || role.length === 0 || column.length === 0) throw new Error(`expected role=column[,role=column...] (at ${JSON.stringify(part)})`);
        out[role] = column;
      }
      return out;
    },
  };
}

export const producerSettings = {
  file: stringSetting({
    env: 'TICKSTREAM_PRODUCER_FILE',
    default: undefined,
    doc: 'CSV of daily bars to replay; unset runs the GBM simulator over producer.symbols',
  }),
  map: mappingSetting({
    env: 'TICKSTREAM_PRODUCER_MAP',
    doc: 'column mapping, e.g. symbol=Ticker,date=Date (roles: symbol date open high low close volume exchange currency); unmapped roles are auto-detected',
  }),
  symbol: stringSetting({
    env: 'TICKSTREAM_PRODUCER_SYMBOL',
    default: undefined,
    doc: 'symbol for files without a symbol column (default: the file name without extension)',
  }),
  dateFormat: stringSetting({
    env: 'TICKSTREAM_PRODUCER_DATE_FORMAT',
    default: 'auto',
    doc: 'date format of the CSV: auto (inferred from the file: a file whose dates read both day-first and month-first is refused), iso (YYYY-MM-DD, time part ignored), a pattern such as MM/DD/YYYY or DD.MM.YYYY or YYYYMMDD, epoch-s or epoch-ms',
  }),
  delimiter: {
    env: 'TICKSTREAM_PRODUCER_DELIMITER',
    default: 'auto',
    doc: 'CSV field delimiter: auto (",", ";" or tab, inferred from the header and the first rows), tab, or one character other than a quote or a line break',
    parse(raw: unknown): string {
      if (raw === 'auto') return 'auto';
      if (raw === 'tab' || raw === '\\t') return '\t';
      if (typeof raw !== 'string' || !/^[^"\r\n]$/.test(raw)) throw new Error('expected auto, tab, or one character other than a quote or a line break');
      return raw;
    },
  } satisfies Setting<string>,
  decimal: enumSetting({
    env: 'TICKSTREAM_PRODUCER_DECIMAL',
    values: ['auto', '.', ','] as const,
    default: 'auto',
    doc: 'decimal mark of the prices: auto (a comma when the delimiter is not one and the prices are written 123,45), "." or ","',
  }),
  maxRejectedPercent: numberSetting({
    env: 'TICKSTREAM_PRODUCER_MAX_REJECTED',
    default: 10,
    min: 0,
    max: 100,
    doc: 'percent of the data rows that may be rejected before the summary (and --check) warns; a failure under producer.strict',
  }),
  strict: boolSetting({
    env: 'TICKSTREAM_PRODUCER_STRICT',
    default: false,
    doc: 'exit 1 (after publishing) when more than producer.maxRejectedPercent of the rows were rejected',
  }),
  info: stringSetting({
    env: 'TICKSTREAM_PRODUCER_INFO',
    default: undefined,
    doc: 'indexInfo.csv-style file (Index,Exchange,Currency) that adds exchange and currency to each symbol and picks its session hours',
  }),
  ticksPerBar: intSetting({
    env: 'TICKSTREAM_PRODUCER_TICKS_PER_BAR',
    default: 390,
    min: 4,
    max: 100_000,
    doc: 'intraday ticks simulated from each daily bar (>= 4: open, high, low and close are all hit)',
  }),
  session: stringSetting({
    env: 'TICKSTREAM_PRODUCER_SESSION',
    default: '09:30-16:00 America/New_York',
    pattern: /^\d{1,2}:\d{2}-\d{1,2}:\d{2} [A-Za-z0-9_+/-]+$/,
    patternDoc: 'HH:MM-HH:MM Area/City',
    doc: 'trading session of symbols whose exchange has no known hours',
  }),
  seed: intSetting({ env: 'TICKSTREAM_PRODUCER_SEED', default: 1, min: 0, max: 2 ** 32 - 1, doc: 'random seed: the same seed and input give the same ticks' }),
  clock: enumSetting({
    env: 'TICKSTREAM_PRODUCER_CLOCK',
    values: CLOCKS,
    default: 'historical',
    doc: 'historical: event time from the data; live: event time is now, the scenario advances at producer.speed',
  }),
  speed: numberSetting({
    env: 'TICKSTREAM_PRODUCER_SPEED',
    default: 60,
    exclusiveMin: 0,
    doc: 'live clock: scenario seconds per wall-clock second',
  }),
  maxGapSec: numberSetting({
    env: 'TICKSTREAM_PRODUCER_MAX_GAP',
    default: 60,
    min: 0,
    doc: 'live clock: longest pause between two ticks, in scenario seconds (nights, weekends and holidays are skipped)',
  }),
  rate: numberSetting({ env: 'TICKSTREAM_PRODUCER_RATE', default: 0, min: 0, doc: 'ticks per second; 0 publishes as fast as possible' }),
  symbols: stringSetting({
    env: 'TICKSTREAM_PRODUCER_SYMBOLS',
    default: 'AAPL:190,MSFT:420,GOOG:170,AMZN:180,NVDA:120',
    pattern: /^[^,:\s]+(:\d+(\.\d+)?)?(,[^,:\s]+(:\d+(\.\d+)?)?)*$/,
    patternDoc: 'SYMBOL[:start price][,SYMBOL[:start price]...]',
    doc: 'GBM simulator: symbols and optional start prices',
  }),
  count: intSetting({ env: 'TICKSTREAM_PRODUCER_COUNT', default: 0, min: 0, doc: 'GBM simulator: ticks to publish; 0 runs until stopped' }),
  start: stringSetting({
    env: 'TICKSTREAM_PRODUCER_START',
    default: '2024-01-02T14:30:00Z',
    pattern: /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/,
    patternDoc: 'an ISO 8601 date or date-time with a zone',
    doc: 'GBM simulator: event time of the first tick (historical clock)',
  }),
  tickIntervalMs: numberSetting({
    env: 'TICKSTREAM_PRODUCER_TICK_INTERVAL_MS',
    default: 1000,
    exclusiveMin: 0,
    doc: 'GBM simulator: mean time between two ticks of one symbol, in milliseconds',
  }),
  volatility: numberSetting({ env: 'TICKSTREAM_PRODUCER_VOLATILITY', default: 0.3, min: 0, max: 5, doc: 'GBM simulator: annualized volatility' }),
  drift: numberSetting({ env: 'TICKSTREAM_PRODUCER_DRIFT', default: 0.05, min: -5, max: 5, doc: 'GBM simulator: annualized drift' }),
  workers: intSetting({
    env: 'TICKSTREAM_PRODUCER_WORKERS',
    default: 1,
    min: 1,
    max: 64,
    doc: 'producer processes publishing in parallel, each with its own share of the symbols (a symbol always goes through the same one, so its order holds); up to one per core raises throughput',
  }),
  queueMaxMessages: intSetting({
    env: 'TICKSTREAM_PRODUCER_QUEUE_MESSAGES',
    default: 100_000,
    min: 1000,
    max: 10_000_000,
    doc: 'bound of the librdkafka send queue (per worker); a full queue pauses reading (backpressure)',
  }),
  lingerMs: intSetting({ env: 'TICKSTREAM_PRODUCER_LINGER_MS', default: 20, min: 0, max: 10_000, doc: 'librdkafka linger.ms (batching)' }),
  compression: enumSetting({
    env: 'TICKSTREAM_PRODUCER_COMPRESSION',
    values: ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const,
    default: 'lz4',
    doc: 'compression codec of produced batches',
  }),
  flushTimeoutSec: intSetting({
    env: 'TICKSTREAM_PRODUCER_FLUSH_TIMEOUT',
    default: 60,
    min: 1,
    doc: 'seconds to wait at shutdown for in-flight ticks to be acknowledged',
  }),
  ackLog: stringSetting({
    env: 'TICKSTREAM_PRODUCER_ACK_LOG',
    default: undefined,
    doc: 'file to append one JSON line per delivery report of the ticks topic to (status, partition, offset, symbol, seq), for audits such as the chaos run; asks librdkafka for every report, about half the throughput',
  }),
  createTopics: boolSetting({ env: 'TICKSTREAM_PRODUCER_CREATE_TOPICS', default: false, doc: 'create ticks and ticks.dlq when missing' }),
  metrics: boolSetting({ env: 'TICKSTREAM_PRODUCER_METRICS', default: true, doc: 'serve Prometheus metrics' }),
  metricsPort: intSetting({ env: 'TICKSTREAM_PRODUCER_METRICS_PORT', default: 9464, min: 0, max: 65535, doc: 'port of /metrics (0 picks a free port)' }),
  metricsHost: stringSetting({ env: 'TICKSTREAM_PRODUCER_METRICS_HOST', default: '127.0.0.1', doc: 'address /metrics listens on' }),
  statsIntervalMs: intSetting({
    env: 'TICKSTREAM_PRODUCER_STATS_INTERVAL_MS',
    default: 1000,
    min: 100,
    max: 600_000,
    doc: 'librdkafka statistics interval (queue depth, broker round trips)',
  }),
  progress: enumSetting({
    env: 'TICKSTREAM_PRODUCER_PROGRESS',
    values: PROGRESS_MODES,
    default: 'auto',
    doc: 'auto: a progress line on a terminal, JSON log records otherwise; bar, log or off',
  }),
  progressIntervalSec: numberSetting({
    env: 'TICKSTREAM_PRODUCER_PROGRESS_INTERVAL',
    default: 10,
    exclusiveMin: 0,
    doc: 'seconds between progress log records when not on a terminal',
  }),
} as const;

export const producerSpec = { ...sharedSpec, producer: producerSettings } as const;

export type ProducerConfig = ConfigOf<{ producer: typeof producerSettings }>['producer'];
export type ProducerAppConfig = ConfigOf<typeof producerSpec>;
