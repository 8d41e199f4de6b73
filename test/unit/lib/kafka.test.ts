import { expect } from 'chai';
import { loadConfig } from '../../../lib/config.js';
import { consumerSettings, planTopics, producerSettings, topicNames } from '../../../lib/kafka.js';
import { sharedSpec } from '../../../lib/settings.js';

const cfg = loadConfig(sharedSpec, { env: {} });

describe('kafka client settings', () => {
  it('names topics with the configured prefix', () => {
    expect(topicNames({ prefix: '' })).to.deep.equal({ ticks: 'ticks', dlq: 'ticks.dlq' });
    expect(topicNames({ prefix: 'dev.' })).to.deep.equal({ ticks: 'dev.ticks', dlq: 'dev.ticks.dlq' });
  });

  it('makes the producer idempotent with acks=all and one request in flight per connection', () => {
    const p = producerSettings(cfg.kafka) as Record<string, unknown>;
    expect(p['enable.idempotence']).to.equal(true);
    expect(p.acks).to.equal('all');
    // More than one lets librdkafka acknowledge or renumber a batch it never saw written once
    // (docs/fresh-topic-race.md, bench/chaos/RESULTS.md).
    expect(p['max.in.flight.requests.per.connection']).to.equal(1);
    expect(p['bootstrap.servers']).to.equal('127.0.0.1:9092');
    expect(p.dr_cb).to.equal(true);
  });

  it('makes the consumer commit nothing on its own', () => {
    const c = consumerSettings(cfg.kafka, 'sink') as Record<string, unknown>;
    expect(c['enable.auto.commit']).to.equal(false);
    expect(c['enable.auto.offset.store']).to.equal(false);
    expect(c['group.id']).to.equal('sink');
  });

  it('adds SASL settings only with credentials, and fails clearly without them', () => {
    const sasl = loadConfig(sharedSpec, {
      env: { TICKSTREAM_KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', TICKSTREAM_KAFKA_SASL_USERNAME: 'u', TICKSTREAM_KAFKA_SASL_PASSWORD: 'p' },
    });
    const p = producerSettings(sasl.kafka) as Record<string, unknown>;
    expect(p['sasl.mechanisms']).to.equal('SCRAM-SHA-512');
    expect(p['sasl.username']).to.equal('u');
    const noCreds = loadConfig(sharedSpec, { env: { TICKSTREAM_KAFKA_SECURITY_PROTOCOL: 'sasl_ssl' } });
    expect(() => producerSettings(noCreds.kafka)).to.throw(/TICKSTREAM_KAFKA_SASL_USERNAME/);
  });

  it('caps replication by the broker count and min ISR by the replication factor', () => {
    const one = planTopics(cfg.topics, 1);
    expect(one.map((t) => t.name)).to.deep.equal(['ticks', 'ticks.dlq']);
    expect(one[0]!.replicationFactor).to.equal(1);
    expect(one[0]!.config['min.insync.replicas']).to.equal('1');
    const three = planTopics(cfg.topics, 5);
    expect(three[0]!.replicationFactor).to.equal(3);
    expect(three[0]!.config['min.insync.replicas']).to.equal('2');
    expect(three[0]!.partitions).to.equal(6);
    expect(three[0]!.config['unclean.leader.election.enable']).to.equal('false');
    expect(() => planTopics(cfg.topics, 0)).to.throw(/broker count/);
  });
});
