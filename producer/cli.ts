/**
 * `tickstream produce [file]`: replay a CSV of daily bars as intraday ticks, or simulate
 * ticks for a list of symbols, into Kafka. `tickstream sample`: write the project's sample
 * data set. Heavy modules are imported inside the actions so `--help` stays fast.
 */
import type { Command } from 'commander';
import { action, overridesFrom, settingFlags, type SettingFlag } from '../lib/cli.js';
import { loadConfig } from '../lib/config.js';
import { producerSpec } from './settings.js';

/** The setting flags of `produce`: the only list of them (help and overrides both come from it). */
const PRODUCE_FLAGS: readonly SettingFlag[] = [
  ['--bootstrap <servers>', 'kafka.bootstrap', 'Kafka bootstrap servers'],
  ['--topic-prefix <prefix>', 'topics.prefix', 'topic name prefix'],
  ['--map <mapping>', 'producer.map', 'column mapping, e.g. symbol=Ticker,date=Day (roles: symbol date open high low close volume exchange currency)'],
  ['--symbol <symbol>', 'producer.symbol', 'symbol of a file without a symbol column (unset: the file name)'],
  ['--date-format <format>', 'producer.dateFormat', 'auto | iso | epoch-s | epoch-ms | a pattern such as DD/MM/YYYY or MM/DD/YYYY'],
  ['--delimiter <char>', 'producer.delimiter', 'auto | , | ; | tab | another character'],
  ['--decimal <mark>', 'producer.decimal', 'auto | . | , (decimal comma, with a ; or tab delimiter)'],
  ['--max-rejected <percent>', 'producer.maxRejectedPercent', 'warn when more than this percent of the rows is rejected'],
  ['--strict', 'producer.strict', 'exit 1 when more than --max-rejected percent of the rows is rejected'],
  ['--info <file>', 'producer.info', 'indexInfo.csv-style file: exchange and currency per symbol (also picks session hours)'],
  ['--ticks-per-bar <n>', 'producer.ticksPerBar', 'ticks simulated from each daily bar, >= 4'],
  ['--session <hours>', 'producer.session', 'session of symbols without known exchange hours'],
  ['--seed <n>', 'producer.seed', 'random seed'],
  ['--clock <clock>', 'producer.clock', 'historical (event time from the data) | live (event time now)'],
  ['--speed <x>', 'producer.speed', 'live clock: scenario seconds per second'],
  ['--max-gap <seconds>', 'producer.maxGapSec', 'live clock: longest scenario pause between ticks'],
  ['--rate <ticks/s>', 'producer.rate', 'publish at most this many ticks per second; 0 = as fast as possible'],
  ['--symbols <list>', 'producer.symbols', 'simulator: SYMBOL[:price],...'],
  ['--count <n>', 'producer.count', 'simulator: ticks to publish; 0 = until stopped'],
  ['--start <time>', 'producer.start', 'simulator: event time of the first tick, ISO 8601'],
  ['--tick-interval <ms>', 'producer.tickIntervalMs', 'simulator: mean time between ticks of a symbol'],
  ['--volatility <sigma>', 'producer.volatility', 'simulator: annualized volatility'],
  ['--drift <mu>', 'producer.drift', 'simulator: annualized drift'],
  ['--workers <n>', 'producer.workers', 'processes publishing in parallel, each a share of the symbols; up to one per core'],
  ['--queue-messages <n>', 'producer.queueMaxMessages', 'bound of the Kafka client queue per process'],
  ['--linger <ms>', 'producer.lingerMs', 'linger.ms'],
  ['--compression <codec>', 'producer.compression', 'none | gzip | snappy | lz4 | zstd'],
  ['--flush-timeout <seconds>', 'producer.flushTimeoutSec', 'wait this long at the end for acknowledgements'],
  ['--create-topics', 'producer.createTopics', 'create ticks and ticks.dlq when missing'],
  ['--ack-log <file>', 'producer.ackLog', 'append one JSON line per delivery report of the ticks topic to this file (audits; costs throughput)'],
  ['--no-metrics', 'producer.metrics', 'do not serve Prometheus metrics'],
  ['--metrics-port <port>', 'producer.metricsPort', 'port of /metrics; 0 picks a free one'],
  ['--metrics-host <address>', 'producer.metricsHost', 'address of /metrics'],
  ['--progress <mode>', 'producer.progress', 'auto (bar on a terminal, log otherwise) | bar | log | off'],
  ['--log-level <level>', 'log.level', 'trace | debug | info | warn | error | silent'],
];

export function registerProducerCommands(program: Command): void {
  const produce = program
    .command('produce [file]')
    .description('publish ticks to Kafka: replay a CSV of daily bars as intraday ticks, or simulate symbols (GBM) when no file is given')
    .option('--config <file>', 'JSON config file [TICKSTREAM_CONFIG]')
    .option('--check', 'read the whole file without Kafka and report what a run would do: format found and why, rows by outcome, dates per symbol, rejected rows by reason; exit 0 when publishable')
    .option('--json', 'print the summary as JSON on standard output');
  const settingOverrides = settingFlags(produce, producerSpec, PRODUCE_FLAGS);
  produce.action(
      action(async (file: string | undefined, opts: Record<string, unknown>) => {
        // --no-metrics sets metrics=false; commander sets true by default, which is not an override.
        const flags = { ...opts, metrics: opts.metrics === false ? false : undefined };
        const config = loadConfig(producerSpec, {
          ...(opts.config ? { file: String(opts.config) } : {}),
          overrides: { ...overridesFrom(flags, settingOverrides), ...(file ? { 'producer.file': file } : {}) },
        });
        if (opts.check) {
          const target = config.producer.file;
          if (!target) throw new Error('--check needs a file: tickstream produce FILE --check');
          const { checkFile, formatCheck } = await import('./check.js');
          const report = await checkFile({ ...config.producer, file: target });
          process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : `${formatCheck(report)}\n`);
          return report.verdict.exitCode;
        }
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
