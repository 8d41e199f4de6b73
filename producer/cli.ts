/**
 * `tickstream produce [file]`: replay a CSV of daily bars as intraday ticks, or simulate
 * ticks for a list of symbols, into Kafka. `tickstream sample`: write the project's sample
 * data set. Heavy modules are imported inside the actions so `--help` stays fast.
 */
import type { Command } from 'commander';
import { action, overridesFrom } from '../lib/cli.js';
import { loadConfig } from '../lib/config.js';

const PRODUCE_FLAGS = {
  map: 'producer.map',
  symbol: 'producer.symbol',
  dateFormat: 'producer.dateFormat',
  delimiter: 'producer.delimiter',
  info: 'producer.info',
  ticksPerBar: 'producer.ticksPerBar',
  session: 'producer.session',
  seed: 'producer.seed',
  clock: 'producer.clock',
  speed: 'producer.speed',
  maxGap: 'producer.maxGapSec',
  rate: 'producer.rate',
  symbols: 'producer.symbols',
  count: 'producer.count',
  start: 'producer.start',
  tickInterval: 'producer.tickIntervalMs',
  volatility: 'producer.volatility',
  drift: 'producer.drift',
  workers: 'producer.workers',
  queueMessages: 'producer.queueMaxMessages',
  linger: 'producer.lingerMs',
  compression: 'producer.compression',
  flushTimeout: 'producer.flushTimeoutSec',
  createTopics: 'producer.createTopics',
  metrics: 'producer.metrics',
  metricsPort: 'producer.metricsPort',
  metricsHost: 'producer.metricsHost',
  progress: 'producer.progress',
  bootstrap: 'kafka.bootstrap',
  topicPrefix: 'topics.prefix',
  logLevel: 'log.level',
} as const;

export function registerProducerCommands(program: Command): void {
  program
    .command('produce [file]')
    .description('publish ticks to Kafka: replay a CSV of daily bars as intraday ticks, or simulate symbols (GBM) when no file is given')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]')
    .option('--bootstrap <servers>', 'Kafka bootstrap servers [TICKSTREAM_KAFKA_BOOTSTRAP]')
    .option('--topic-prefix <prefix>', 'topic name prefix [TICKSTREAM_TOPIC_PREFIX]')
    .option('--map <mapping>', 'column mapping, e.g. symbol=Ticker,date=Day (roles: symbol date open high low close volume exchange currency)')
    .option('--symbol <symbol>', 'symbol of a file without a symbol column [default: file name]')
    .option('--date-format <format>', 'iso | epoch-s | epoch-ms | a pattern such as MM/DD/YYYY [default iso]')
    .option('--delimiter <char>', 'field delimiter [default ,]')
    .option('--info <file>', 'indexInfo.csv-style file: exchange and currency per symbol (also picks session hours)')
    .option('--ticks-per-bar <n>', 'ticks simulated from each daily bar, >= 4 [default 390]')
    .option('--session <hours>', 'session of symbols without known exchange hours [default "09:30-16:00 America/New_York"]')
    .option('--seed <n>', 'random seed [default 1]')
    .option('--clock <clock>', 'historical (event time from the data) | live (event time now) [default historical]')
    .option('--speed <x>', 'live clock: scenario seconds per second [default 60]')
    .option('--max-gap <seconds>', 'live clock: longest scenario pause between ticks [default 60]')
    .option('--rate <ticks/s>', 'publish at most this many ticks per second; 0 = as fast as possible [default 0]')
    .option('--symbols <list>', 'simulator: SYMBOL[:price],... [default AAPL:190,MSFT:420,GOOG:170,AMZN:180,NVDA:120]')
    .option('--count <n>', 'simulator: ticks to publish; 0 = until stopped [default 0]')
    .option('--start <time>', 'simulator: event time of the first tick, ISO 8601 [default 2024-01-02T14:30:00Z]')
    .option('--tick-interval <ms>', 'simulator: mean time between ticks of a symbol [default 1000]')
    .option('--volatility <sigma>', 'simulator: annualized volatility [default 0.3]')
    .option('--drift <mu>', 'simulator: annualized drift [default 0.05]')
    .option('--workers <n>', 'processes publishing in parallel, each a share of the symbols; up to one per core [default 1]')
    .option('--queue-messages <n>', 'bound of the Kafka client queue per process [default 100000]')
    .option('--linger <ms>', 'linger.ms [default 20]')
    .option('--compression <codec>', 'none | gzip | snappy | lz4 | zstd [default lz4]')
    .option('--flush-timeout <seconds>', 'wait this long at the end for acknowledgements [default 60]')
    .option('--create-topics', 'create ticks and ticks.dlq when missing')
    .option('--no-metrics', 'do not serve Prometheus metrics')
    .option('--metrics-port <port>', 'port of /metrics; 0 picks a free one [default 9464]')
    .option('--metrics-host <address>', 'address of /metrics [default 127.0.0.1]')
    .option('--progress <mode>', 'auto | bar | log | off [default auto: bar on a terminal, log otherwise]')
    .option('--json', 'print the summary as JSON on standard output')
    .option('--log-level <level>', 'trace | debug | info | warn | error | silent')
    .action(
      action(async (file: string | undefined, opts: Record<string, unknown>) => {
        const { producerSpec } = await import('./settings.js');
        // --no-metrics sets metrics=false; commander sets true by default, which is not an override.
        const flags = { ...opts, metrics: opts.metrics === false ? false : undefined };
        const config = loadConfig(producerSpec, {
          ...(opts.config ? { file: String(opts.config) } : {}),
          overrides: { ...overridesFrom(flags, PRODUCE_FLAGS), ...(file ? { 'producer.file': file } : {}) },
        });
        const { createLogger, formatPrettyLine } = await import('../lib/logger.js');
        const { runProducer } = await import('./service.js');
        const { stopOnSignals } = await import('./shutdown.js');
        const { exitCodeOf, formatSummary } = await import('./summary.js');
        const tty = Boolean(process.stderr.isTTY);
        const mode = config.producer.progress === 'auto' ? (tty ? 'bar' : 'log') : config.producer.progress;
        // On a terminal with a progress bar, logs (also the workers') are short human lines
        // that first clear the bar.
        const writeLogLine = (line: string): void => void process.stderr.write(`\r\x1b[K${formatPrettyLine(line.trimEnd())}\n`);
        const logger = mode === 'bar' ? createLogger('producer', config.log, { write: writeLogLine }) : createLogger('producer', config.log);
        const { signal, dispose } = stopOnSignals(logger);
        try {
          const summary = await runProducer(config, { logger, signal, progress: mode, ...(mode === 'bar' ? { writeLogLine } : {}) });
          process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
          // A client left open during a Kafka outage (Publisher.disconnect) keeps the process alive.
          if (summary.kafkaUnreachable) process.exit(exitCodeOf(summary));
          return exitCodeOf(summary);
        } finally {
          dispose();
        }
      }),
    );

  program
    .command('sample')
    .description('write the sample data set (data/sample-daily.csv): daily bars of a few symbols, generated deterministically')
    .option('--out <file>', 'where to write it [default data/sample-daily.csv]')
    .option('--seed <n>', 'random seed [default 20240102]')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const { writeSample, SAMPLE_FILE, SAMPLE_SEED } = await import('./sample.js');
        const out = String(opts.out ?? SAMPLE_FILE);
        const stats = writeSample(out, opts.seed === undefined ? SAMPLE_SEED : Number(opts.seed));
        process.stderr.write(`wrote ${out}: ${stats.rows} bars of ${stats.symbols} symbols, ${stats.bytes} bytes\n`);
      }),
    );
}
