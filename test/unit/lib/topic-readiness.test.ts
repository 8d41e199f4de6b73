import { expect } from 'chai';
import type { ClusterMetadata, PartitionInfo } from '../../../lib/kafka-probe.js';
import { readinessProblems, type BrokerAnswer } from '../../../lib/topic-readiness.js';

const brokers = [1, 2, 3].map((nodeId) => ({ nodeId, host: '127.0.0.1', port: 9091 + nodeId, rack: null }));

function part(partition: number, leader: number, isr: number[] = [1, 2, 3], errorCode = 0): PartitionInfo {
  return { partition, errorCode, leader, replicas: [1, 2, 3], isr };
}

function md(partitions: PartitionInfo[] | null, topic = 'ticks'): ClusterMetadata {
  return {
    brokers,
    clusterId: 'c',
    controllerId: 1,
    topics: partitions === null ? [{ name: topic, errorCode: 3, internal: false, partitions: [] }] : [{ name: topic, errorCode: 0, internal: false, partitions }],
  };
}

function answer(nodeId: number, metadata: ClusterMetadata | null, error: string | null = null): BrokerAnswer {
  return { address: `127.0.0.1:${9091 + nodeId}`, nodeId, metadata, error };
}

const ready = [part(0, 1), part(1, 2), part(2, 3)];

describe('lib/topic-readiness', () => {
  it('ready when every broker agrees on every leader and the ISR is full', () => {
    expect(readinessProblems([1, 2, 3].map((id) => answer(id, md(ready))), [1, 2, 3], ['ticks'])).to.deep.equal([]);
  });

  it('not ready while one broker has not heard of the topic yet (the leader of a fresh topic included)', () => {
    const problems = readinessProblems([answer(1, md(ready)), answer(2, md(null)), answer(3, md(ready))], [1, 2, 3], ['ticks']);
    expect(problems).to.deep.equal(['ticks: broker 2 does not know the topic (error 3)']);
  });

  it('not ready while a partition has no leader or brokers disagree on it', () => {
    const noLeader = readinessProblems([answer(1, md([part(0, -1, [], 5), part(1, 2), part(2, 3)]))], [1], ['ticks']);
    expect(noLeader).to.deep.equal(['ticks[0] at broker 1: no leader (error 5)']);
    const disagree = readinessProblems([answer(1, md(ready)), answer(2, md([part(0, 2), part(1, 2), part(2, 3)]))], [1, 2], ['ticks']);
    expect(disagree).to.deep.equal(['ticks[0]: broker 1 says leader 1, broker 2 says 2']);
  });

  it('wants every live replica in sync, but not a replica on a broker that is down', () => {
    const shrunk = [part(0, 1, [1, 2]), part(1, 2), part(2, 3)];
    expect(readinessProblems([answer(1, md(shrunk))], [1, 2, 3].slice(0, 1), ['ticks'])).to.deep.equal([]);
    expect(readinessProblems([1, 2, 3].map((id) => answer(id, md(shrunk))), [1, 2, 3], ['ticks'])).to.have.length(3);
    expect(readinessProblems([1, 2].map((id) => answer(id, md(shrunk))), [1, 2], ['ticks'])).to.deep.equal([]);
  });

  it('for topics that existed before, a replica catching up does not hold back (fullIsr false), a missing leader still does', () => {
    const catchingUp = [part(0, 1, [1, 2]), part(1, 2, [2]), part(2, 3)];
    const answers = [1, 2, 3].map((id) => answer(id, md(catchingUp)));
    expect(readinessProblems(answers, [1, 2, 3], ['ticks'], { fullIsr: false })).to.deep.equal([]);
    expect(readinessProblems(answers, [1, 2, 3], ['ticks'])).to.have.length(6); // two partitions short, seen by three brokers
    const noLeader = [1, 2, 3].map((id) => answer(id, md([part(0, -1, [], 5), part(1, 2), part(2, 3)])));
    expect(readinessProblems(noLeader, [1, 2, 3], ['ticks'], { fullIsr: false })).to.have.length(3);
  });

  it('not ready while a registered broker did not answer or was not asked, or nobody answered', () => {
    const problems = readinessProblems([answer(1, md(ready)), answer(2, null, 'ECONNREFUSED')], [1, 2, 3], ['ticks']);
    expect(problems).to.deep.equal(['broker 3 was not asked', 'broker 2 (127.0.0.1:9093) did not answer: ECONNREFUSED']);
    expect(readinessProblems([], [1], ['ticks'])).to.deep.equal(['no broker answered']);
  });

  it('checks every topic asked for', () => {
    const problems = readinessProblems([answer(1, md(ready))], [1], ['ticks', 'ticks.dlq']);
    expect(problems).to.deep.equal(['ticks.dlq: broker 1 does not know the topic']);
  });
});
