/**
 * The reachability state machine (lib/kafka-reachability.ts): down on ALL_BROKERS_DOWN or
 * statistics without an UP broker, up again on statistics with one; each change reported
 * once; the unreachable time counts from the first sign of the outage.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { ERR_ALL_BROKERS_DOWN, ERR_TRANSPORT, KafkaReachability, reachabilityGauges, type ReachabilityChange } from '../../../lib/kafka-reachability.js';
import { parsePrometheusText, sumOf } from '../../../lib/prometheus-text.js';

const stats = (...states: string[]): { brokers: Record<string, { state: string }> } => ({
  brokers: Object.fromEntries(states.map((state, i) => [`b${i}`, { state }])),
});

describe('KafkaReachability', () => {
  let now = 1_000_000;
  let changes: ReachabilityChange[];
  let reach: KafkaReachability;
  beforeEach(() => {
    now = 1_000_000;
    changes = [];
    reach = new KafkaReachability((c) => changes.push(c), () => now);
  });

  it('starts reachable and ignores errors of one connection', () => {
    reach.observeError(ERR_TRANSPORT);
    reach.observeStats(stats('UP', 'DOWN'));
    expect(reach.reachable).to.equal(true);
    expect(reach.unreachableSeconds()).to.equal(0);
    expect(changes).to.deep.equal([]);
  });

  it('goes down once, counts from the first sign, and comes back once', () => {
    reach.observeError(ERR_ALL_BROKERS_DOWN);
    now += 1000;
    reach.observeStats(stats('DOWN', 'CONNECT', 'INIT'));
    reach.observeError(ERR_ALL_BROKERS_DOWN);
    now += 4000;
    expect(reach.reachable).to.equal(false);
    expect(reach.unreachableSince).to.equal(1_000_000);
    expect(reach.unreachableSeconds()).to.equal(5);
    reach.observeStats(stats('DOWN', 'UP'));
    reach.observeStats(stats('UP', 'UP'));
    expect(reach.reachable).to.equal(true);
    expect(changes).to.deep.equal([
      { kind: 'down', since: 1_000_000 },
      { kind: 'up', downForMs: 5000 },
    ]);
  });

  it('statistics without brokers decide nothing; a success ends an outage', () => {
    reach.observeStats({});
    expect(reach.reachable).to.equal(true);
    reach.observeStats(stats('DOWN'));
    expect(reach.reachable).to.equal(false);
    reach.observeStats({ brokers: {} });
    expect(reach.reachable).to.equal(false);
    reach.observeSuccess();
    expect(reach.reachable).to.equal(true);
  });

  it('gauges read the state at scrape time', async () => {
    const registry = new Registry();
    reachabilityGauges(registry, 'test', () => reach);
    const read = async (): Promise<[number, number]> => {
      const samples = parsePrometheusText(await registry.metrics());
      return [sumOf(samples, 'test_kafka_reachable'), sumOf(samples, 'test_kafka_unreachable_seconds')];
    };
    expect(await read()).to.deep.equal([1, 0]);
    reach.observeStats(stats('DOWN'));
    now += 2500;
    expect(await read()).to.deep.equal([0, 2.5]);
  });
});
