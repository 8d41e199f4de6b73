/**
 * How a finishing stop decides it is over (consumer/stop-outcome.ts): the order of the
 * reasons, and that an outage ends the wait only once every batch left waits for Kafka alone.
 */
import { expect } from 'chai';
import { drainVerdict, type PartitionWork } from '../../../consumer/stop-outcome.js';

const calm = { abandoned: false, pastDeadline: false, rebalancing: false, kafkaReachable: true };

describe('drainVerdict', () => {
  it('is finished once no partition has a batch left, whatever else holds', () => {
    const done: PartitionWork[] = [{ pending: 0, stage: 'idle' }, { pending: 0, stage: 'idle' }];
    expect(drainVerdict(done, calm)).to.equal('finished');
    expect(drainVerdict(done, { abandoned: true, pastDeadline: true, rebalancing: true, kafkaReachable: false })).to.equal('finished');
    expect(drainVerdict([], calm)).to.equal('finished');
  });

  it('keeps waiting while batches are being written and nothing says stop', () => {
    expect(drainVerdict([{ pending: 2, stage: 'store' }, { pending: 0, stage: 'idle' }], calm)).to.equal(undefined);
    expect(drainVerdict([{ pending: 1, stage: 'kafka' }], calm)).to.equal(undefined);
  });

  it('ranks abandon over the deadline over a rebalance', () => {
    const work: PartitionWork[] = [{ pending: 1, stage: 'store' }];
    expect(drainVerdict(work, { ...calm, abandoned: true, pastDeadline: true, rebalancing: true })).to.equal('abandoned');
    expect(drainVerdict(work, { ...calm, pastDeadline: true, rebalancing: true })).to.equal('timeout');
    expect(drainVerdict(work, { ...calm, rebalancing: true })).to.equal('rebalance');
  });

  it('ends on an outage only when every batch left waits for its commit', () => {
    const down = { ...calm, kafkaReachable: false };
    expect(drainVerdict([{ pending: 1, stage: 'kafka' }, { pending: 0, stage: 'idle' }], down)).to.equal('kafka-unreachable');
    // A batch still being written to the store can become durable; its commit is then tried.
    expect(drainVerdict([{ pending: 1, stage: 'kafka' }, { pending: 1, stage: 'store' }], down)).to.equal(undefined);
    // Queued batches behind the one at Kafka count as waiting for Kafka too.
    expect(drainVerdict([{ pending: 3, stage: 'kafka' }], down)).to.equal('kafka-unreachable');
  });
});
