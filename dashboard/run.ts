/**
 * Wires the dashboard together: a tick feed from Kafka into the server, health from the
 * services' metrics pages, and (optionally) named queries over the lake. Used by
 * `tickstream dashboard` and by `tickstream demo`.
 */
import { topicNames } from '../lib/kafka.js';
import type { Logger } from '../lib/logger.js';
import type { KafkaConfig, TopicConfig } from '../lib/settings.js';
import { TickFeed } from './feed.js';
import type { HealthSources } from './health.js';
import { DashboardServer, type QueryPanel } from './server.js';

export interface DashboardRunOptions {
  readonly kafka: KafkaConfig;
  readonly topics: TopicConfig;
  readonly port: number;
  readonly host?: string;
  readonly fromBeginning?: boolean;
  readonly health: HealthSources;
  readonly candleIntervalSec?: number;
  readonly runQueries?: () => Promise<QueryPanel[]>;
  readonly queryEveryMs?: number;
  readonly log: Logger;
}

export interface RunningDashboard {
  readonly url: string;
  readonly server: DashboardServer;
  readonly feed: TickFeed;
  /** Resolves false when the Kafka consumer could not be closed (no broker answered). */
  stop(): Promise<boolean>;
}

export async function startDashboard(options: DashboardRunOptions): Promise<RunningDashboard> {
  const server = new DashboardServer({
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    log: options.log,
    health: options.health,
    ...(options.candleIntervalSec ? { candleIntervalSec: options.candleIntervalSec } : {}),
    ...(options.runQueries ? { runQueries: options.runQueries } : {}),
    ...(options.queryEveryMs ? { queryEveryMs: options.queryEveryMs } : {}),
  });
  const feed = new TickFeed({
    kafka: options.kafka,
    topic: topicNames(options.topics).ticks,
    fromBeginning: Boolean(options.fromBeginning),
    log: options.log,
    onTicks: (ticks) => server.ingest(ticks),
  });
  const port = await server.start();
  try {
    await feed.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    server,
    feed,
    stop: async () => {
      const closed = await feed.stop();
      await server.stop();
      return closed;
    },
  };
}
