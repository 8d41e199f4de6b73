/**
 * What a producer run checks before it publishes anything, shared by a single process
 * (producer/service.ts) and the parent of several workers (producer/workers.ts), so a bad
 * input or a missing topic stops the run once, with one clear message, before any worker
 * starts: the inputs (session, symbols, CSV file and date format, info file) and the topics.
 */
import { clusterMetadata, ensureTopics, waitForLeaders } from '../lib/admin.js';
import { ConfigError } from '../lib/config.js';
import { planTopics, topicNames, type TopicNames } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig, TopicConfig } from '../lib/settings.js';
import { logFormat } from './observe.js';
import type { ProducerAppConfig, ProducerConfig } from './settings.js';
import { parseSymbols, type GbmSymbol } from './sim/gbm.js';
import { parseSession, type Session } from './sim/sessions.js';
import { CsvSource, symbolFromFileName } from './sources/csv.js';
import { ambiguityMessage, detectFormat, type FileFormat } from './sources/detect.js';
import { readHead } from './sources/head.js';
import { readInfo, type InfoTable } from './sources/info.js';

export interface ProducerInputs {
  readonly defaultSession: Session;
  /** CSV replay; null runs the simulator. */
  readonly csv: CsvSource | null;
  readonly info: InfoTable | undefined;
  /** Simulator symbols; null for CSV replay. */
  readonly symbols: GbmSymbol[] | null;
  /** How the CSV is read and why (null for the simulator). */
  readonly format: FileFormat | null;
}

/**
 * The delimiter, decimal mark and date format of the CSV file, each `auto` setting resolved
 * from the file's head (producer/sources/detect.ts); explicit settings are kept as given.
 * A file whose dates read both day-first and month-first stops the run here, before
 * anything is published, as a configuration error naming both candidates.
 */
export function resolveFormat(p: ProducerConfig & { readonly file: string }): FileFormat {
  const head = readHead(p.file);
  const detection = detectFormat(head.records, {
    dateFormat: p.dateFormat,
    delimiter: p.delimiter,
    decimal: p.decimal,
    ...(p.map ? { map: p.map } : {}),
    fixedSymbol: p.symbol ?? symbolFromFileName(p.file),
    symbolFrom: p.symbol ? 'set by --symbol' : 'the file name',
  });
  if (detection.kind === 'ambiguous') {
    throw new ConfigError([{ key: 'producer.dateFormat', env: 'TICKSTREAM_PRODUCER_DATE_FORMAT', message: ambiguityMessage(p.file, detection.candidates, detection.evidence) }]);
  }
  return detection.format;
}

/** The CSV reader for the file, in the format found (or set). */
export function csvSourceFor(p: ProducerConfig & { readonly file: string }, format: FileFormat): CsvSource {
  return new CsvSource({
    file: p.file,
    dateFormat: format.dateFormat.value,
    delimiter: format.delimiter.value,
    decimal: format.decimal.value,
    ...(p.map ? { map: p.map } : {}),
    ...(p.symbol ? { symbol: p.symbol } : {}),
  });
}

/** The settings with every `auto` replaced by what was found (what workers are started with). */
export function withFormat<C extends ProducerConfig>(p: C, format: FileFormat): C {
  return { ...p, dateFormat: format.dateFormat.value, delimiter: format.delimiter.value, decimal: format.decimal.value };
}

/** Parses and opens the inputs; throws with a message naming the bad one. */
export function prepareInputs(p: ProducerConfig): ProducerInputs {
  const defaultSession = parseSession(p.session);
  const format = p.file ? resolveFormat({ ...p, file: p.file }) : null;
  const csv = p.file && format ? csvSourceFor({ ...p, file: p.file }, format) : null;
  const info = p.file && p.info ? readInfo(p.info) : undefined;
  return { defaultSession, csv, info, symbols: csv ? null : parseSymbols(p.symbols), format };
}

export interface StartupCheck {
  readonly inputs: ProducerInputs;
  readonly names: TopicNames;
  /** Partitions of the ticks topic. */
  readonly partitions: number;
}

/**
 * The run's start-up check, the same for a single process and a parent of workers: the
 * inputs first (a bad session, symbol list, info file or date format stops the run before
 * Kafka is asked anything), the format found logged (`logFormat`: not by a worker, whose
 * parent did), then the topics.
 */
export async function startupCheck(config: ProducerAppConfig, logger: Logger, options: { readonly logFormat: boolean }): Promise<StartupCheck> {
  const p = config.producer;
  const inputs = prepareInputs(p);
  if (inputs.format && options.logFormat) logFormat(logger, p.file!, inputs.format);
  const names = topicNames(config.topics);
  const partitions = await checkTopics(config.kafka, config.topics, names, p.createTopics, logger);
  return { inputs, names, partitions };
}

/**
 * Partition count of the ticks topic, creating the topics first when asked. Either way the
 * topics are used only once every broker serves their leaders: a topic someone created a
 * moment ago races its leaders' election just like one created here (lib/topic-readiness.ts).
 */
export async function checkTopics(kafka: KafkaConfig, topics: TopicConfig, names: TopicNames, create: boolean, logger: Logger): Promise<number> {
  const md = await clusterMetadata(kafka, [names.ticks, names.dlq], 10_000);
  const missing = [names.ticks, names.dlq].filter((name) => {
    const t = md.topics.find((x) => x.name === name);
    return !t || t.errorCode !== 0 || t.partitions.length === 0;
  });
  if (missing.length > 0) {
    if (!create) {
      throw new Error(
        `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found on ${kafka.bootstrap}; create them with ` +
          '`tickstream stack topics` or run with --create-topics (TICKSTREAM_PRODUCER_CREATE_TOPICS=true)',
      );
    }
    const outcomes = await ensureTopics(kafka, planTopics(topics, md.brokers.length));
    logger.info({ topics: outcomes }, 'topics created');
    return (await clusterMetadata(kafka, [names.ticks])).topics[0]!.partitions.length;
  }
  // Existing topics: every broker must know them and agree on their leaders; a replica
  // still catching up (a broker restarted) does not hold the run back.
  await waitForLeaders(kafka, [names.ticks, names.dlq], 30_000, { fullIsr: false });
  return md.topics.find((t) => t.name === names.ticks)!.partitions.length;
}

