/**
 * What a producer run checks before it publishes anything, shared by a single process
 * (producer/service.ts) and the parent of several workers (producer/workers.ts), so a bad
 * input or a missing topic stops the run once, with one clear message, before any worker
 * starts: the inputs (session, symbols, CSV file and date format, info file) and the topics.
 */
import { clusterMetadata, ensureTopics, waitForLeaders } from '../lib/admin.js';
import { planTopics, type TopicNames } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig, TopicConfig } from '../lib/settings.js';
import type { ProducerConfig } from './settings.js';
import { parseSymbols, type GbmSymbol } from './sim/gbm.js';
import { parseSession, type Session } from './sim/sessions.js';
import { CsvSource } from './sources/csv.js';
import { readInfo, type InfoTable } from './sources/info.js';

export interface ProducerInputs {
  readonly defaultSession: Session;
  /** CSV replay; null runs the simulator. */
  readonly csv: CsvSource | null;
  readonly info: InfoTable | undefined;
  /** Simulator symbols; null for CSV replay. */
  readonly symbols: GbmSymbol[] | null;
}

/** Parses and opens the inputs; throws with a message naming the bad one. */
export function prepareInputs(p: ProducerConfig): ProducerInputs {
  const defaultSession = parseSession(p.session);
  const csv = p.file ? new CsvSource({ file: p.file, dateFormat: p.dateFormat, delimiter: p.delimiter, ...(p.map ? { map: p.map } : {}), ...(p.symbol ? { symbol: p.symbol } : {}) }) : null;
  const info = p.file && p.info ? readInfo(p.info) : undefined;
  return { defaultSession, csv, info, symbols: csv ? null : parseSymbols(p.symbols) };
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

