/**
 * Whether a node-rdkafka client can reach its cluster, and since when it cannot: what the
 * services report while every broker is gone (a gauge, one log line when the outage starts
 * and one when it ends) instead of going quiet.
 *
 * librdkafka says when the last connection dropped (`ERR__ALL_BROKERS_DOWN` on the error
 * event) but never when one came back, so the statistics event (one JSON document per
 * `statistics.interval.ms`, served by the client's poll or consume calls) decides both ways:
 * reachable while at least one broker connection is `UP`. The state machine is pure; `watch`
 * wires it to a client and a logger.
 */
import type { Gauge, Registry } from 'prom-client';
import { Gauge as PromGauge } from 'prom-client';
import type { Logger } from './logger.js';

/** RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN. */
export const ERR_ALL_BROKERS_DOWN = -187;
/** RD_KAFKA_RESP_ERR__TRANSPORT: one connection failed (others may be fine). */
export const ERR_TRANSPORT = -195;

/** How often clients that track reachability ask librdkafka for statistics. */
export const REACHABILITY_STATS_INTERVAL_MS = 1000;

export interface BrokerStates {
  readonly brokers?: Record<string, { readonly state?: string; readonly nodeid?: number }>;
}

export type ReachabilityChange = { readonly kind: 'down'; readonly since: number } | { readonly kind: 'up'; readonly downForMs: number };

export class KafkaReachability {
  /** Epoch ms of the moment the last broker connection was lost; null while reachable. */
  private since: number | null = null;

  constructor(
    private readonly onChange: (change: ReachabilityChange) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get reachable(): boolean {
    return this.since === null;
  }

  /** Epoch ms since which no broker answers, or null. */
  get unreachableSince(): number | null {
    return this.since;
  }

  /** Seconds without any broker (0 while reachable). */
  unreachableSeconds(): number {
    return this.since === null ? 0 : Math.max(0, (this.now() - this.since) / 1000);
  }

  /** An error event of the client. */
  observeError(code: number | undefined): void {
    if (code === ERR_ALL_BROKERS_DOWN) this.markDown();
  }

  /** A statistics document: reachable when at least one broker connection is UP. */
  observeStats(stats: BrokerStates): void {
    const brokers = Object.values(stats.brokers ?? {});
    if (brokers.length === 0) return;
    if (brokers.some((b) => b.state === 'UP')) this.markUp();
    else this.markDown();
  }

  /** Something only a reachable cluster can do happened (a commit, a delivery). */
  observeSuccess(): void {
    this.markUp();
  }

  private markDown(): void {
    if (this.since !== null) return;
    this.since = this.now();
    this.onChange({ kind: 'down', since: this.since });
  }

  private markUp(): void {
    if (this.since === null) return;
    const downForMs = this.now() - this.since;
    this.since = null;
    this.onChange({ kind: 'up', downForMs });
  }
}

/** The minimal client surface `watch` needs (a node-rdkafka producer or consumer). */
export interface EventSource {
  on(event: 'event.error', listener: (err: { code?: number; message: string }) => void): unknown;
  on(event: 'event.stats', listener: (e: { message: string }) => void): unknown;
}

/**
 * A reachability tracker fed by a client's error and statistics events, logging the start
 * and the end of an outage once each. The client must be created with
 * `statistics.interval.ms` set (REACHABILITY_STATS_INTERVAL_MS).
 */
export function watchReachability(client: EventSource, log: Logger, what: string): KafkaReachability {
  const reach = loggedReachability(log, what);
  client.on('event.error', (err) => reach.observeError(err.code));
  client.on('event.stats', (e) => {
    const stats = parseStats(e.message);
    if (stats) reach.observeStats(stats);
  });
  return reach;
}

/** A reachability tracker that logs the start and the end of an outage once each (fed by its owner). */
export function loggedReachability(log: Logger, what: string): KafkaReachability {
  return new KafkaReachability((change) => {
    if (change.kind === 'down') log.error({ since: new Date(change.since).toISOString() }, `Kafka unreachable: no broker answers the ${what}`);
    else log.warn({ downForSeconds: Math.round(change.downForMs / 100) / 10 }, `Kafka reachable again (${what})`);
  });
}

/** A librdkafka statistics document, or null when it is truncated (the next one decides). */
export function parseStats(json: string): BrokerStates | null {
  try {
    return JSON.parse(json) as BrokerStates;
  } catch {
    return null;
  }
}

/**
 * Two gauges on a service's registry: `<prefix>_kafka_reachable` (1 or 0) and
 * `<prefix>_kafka_unreachable_seconds` (how long no broker has answered, 0 while one does),
 * both read at scrape time.
 */
export function reachabilityGauges(registry: Registry, prefix: string, reach: () => KafkaReachability | null): { reachable: Gauge; unreachableSeconds: Gauge } {
  const reachable = new PromGauge({
    name: `${prefix}_kafka_reachable`,
    help: 'whether at least one Kafka broker answers this client (1) or none does (0)',
    registers: [registry],
    collect() {
      this.set(reach()?.reachable === false ? 0 : 1);
    },
  });
  const unreachableSeconds = new PromGauge({
    name: `${prefix}_kafka_unreachable_seconds`,
    help: 'seconds since the last Kafka broker connection was lost (0 while one is up)',
    registers: [registry],
    collect() {
      this.set(reach()?.unreachableSeconds() ?? 0);
    },
  });
  return { reachable, unreachableSeconds };
}
