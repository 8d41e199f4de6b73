import { expect } from 'chai';
import { mulberry32 } from '../../../lib/prng.js';
import { checkSet, failureOf, judge, parseAckLog, type AckRecord, type StoredTick } from '../../../chaos/verify.js';
import { ackLine } from '../../../producer/ack-log.js';

const ack = (sym: string, seq: number, p: number, o: number, s: AckRecord['s'] = 'delivered'): AckRecord => ({ s, p, o, sym, seq });
const row = (symbol: string, seq: number, partition: number, offset: number): StoredTick => ({ symbol, seq, partition, offset });

describe('chaos: verification', () => {
  it('parses the producer\'s ack log lines and names a bad line', () => {
    const text = ackLine('delivered', 2, 17, 'AAPL', 4) + ackLine('unconfirmed', 1, undefined, 'MSFT', 0) + '\n';
    expect(parseAckLog(text)).to.deep.equal([ack('AAPL', 4, 2, 17), ack('MSFT', 0, 1, -1001, 'unconfirmed')]);
    expect(() => parseAckLog(`${text}{"s":"maybe"}\n`)).to.throw(/line 4 .*report/);
    expect(() => parseAckLog('nope')).to.throw(/line 1 is not JSON/);
  });

  it('counts every acknowledged tick present once as found', () => {
    const c = checkSet([ack('A', 0, 0, 0), ack('A', 1, 0, 1), ack('B', 0, 1, 0)], [row('A', 0, 0, 0), row('A', 1, 0, 1), row('B', 0, 1, 0)]);
    expect(c).to.include({ acknowledged: 3, found: 3, rows: 3, unconfirmed: 0, failed: 0, unexpected: 0 });
    expect([c.lost, c.duplicated, c.moved]).to.deep.equal([[], [], []]);
  });

  it('names acknowledged ticks missing from the store as lost, and rows of one tick seen twice as duplicated', () => {
    const c = checkSet(
      [ack('A', 0, 0, 0), ack('A', 1, 0, 1), ack('A', 2, 0, 2)],
      [row('A', 0, 0, 0), row('A', 0, 0, 0), row('A', 2, 0, 2)],
    );
    expect(c.lost).to.deep.equal(['A#1']);
    expect(c.duplicated).to.deep.equal(['A#0']);
    expect(c.found).to.equal(2);
  });

  it('tells a tick stored at another offset than acknowledged (a second copy in Kafka) as moved', () => {
    const c = checkSet([ack('A', 0, 0, 5)], [row('A', 0, 0, 9)]);
    expect(c.moved).to.deep.equal(['A#0']);
    expect(c.lost).to.deep.equal([]);
  });

  it('never counts an unconfirmed (implicitly acknowledged) or failed tick as lost; counts those that did arrive', () => {
    const c = checkSet(
      [ack('A', 0, 0, -1001, 'unconfirmed'), ack('A', 1, 0, -1001, 'unconfirmed'), ack('A', 2, 0, -1, 'failed'), ack('A', 3, 0, 1)],
      [row('A', 1, 0, 0), row('A', 3, 0, 1), row('Z', 9, 3, 3)],
    );
    expect(c).to.include({ acknowledged: 1, found: 1, unconfirmed: 2, unconfirmedFound: 1, failed: 1, unexpected: 1 });
    expect(c.lost).to.deep.equal([]);
  });

  it('judges a run over two lakes and fresh topics: a tick lost from both lakes counts once, and is named per lake', () => {
    const acks = [ack('A', 0, 0, 0), ack('A', 1, 0, 1), ack('B', 0, 1, 0)];
    const fresh = checkSet([ack('F', 0, 0, 0), ack('F', 1, 0, -1001, 'unconfirmed')], [row('F', 0, 0, 0), row('F', 0, 0, 0)]);
    const r = judge({
      seed: 7,
      minutes: 2,
      mode: 'kraft',
      acks,
      lakes: { local: [row('A', 0, 0, 0), row('B', 0, 1, 0)], s3: [row('A', 0, 0, 0), row('B', 0, 1, 0), row('B', 0, 1, 0)] },
      freshTopics: [fresh],
      faults: { 'broker-kill': 2, 's3-outage': 1 },
    });
    expect(r).to.include({ seed: 7, minutes: 2, mode: 'kraft', acknowledged: 3, in_lake: 2, lost: 1, duplicated: 2, unconfirmed: 1, faults_total: 3 });
    expect(r.lost_ticks).to.deep.equal(['local:A#1', 's3:A#1']);
    expect(r.duplicated_ticks).to.deep.equal(['s3:B#0', 'fresh-1:F#0']);
    expect(r.lakes.s3).to.include({ rows: 3, found: 2, lost: 1, duplicated: 1 });
    expect(r.fresh_topics).to.include({ topics: 1, acknowledged: 1, found: 1, duplicated: 1, unconfirmed: 1 });
    expect(failureOf(r)).to.match(/1 acknowledged tick\(s\) lost \(first: local:A#1, s3:A#1\); 2 tick\(s\) duplicated/);
  });

  it('passes a clean run and fails one that acknowledged nothing', () => {
    const clean = judge({ seed: 1, minutes: 1, mode: 'zookeeper', acks: [ack('A', 0, 0, 0)], lakes: { local: [row('A', 0, 0, 0)] }, freshTopics: [], faults: {} });
    expect(clean).to.include({ lost: 0, duplicated: 0, in_lake: 1 });
    expect(failureOf(clean)).to.equal(null);
    const empty = judge({ seed: 1, minutes: 1, mode: 'zookeeper', acks: [], lakes: { local: [] }, freshTopics: [], faults: {} });
    expect(failureOf(empty)).to.match(/no tick was acknowledged/);
  });
});

describe('chaos: seeded randomness', () => {
  it('repeats the same draws for the same seed and differs for another', () => {
    const draw = (seed: number): number[] => {
      const r = mulberry32(seed);
      return [r.int(1, 100), r.int(1, 100), r.pick(['a', 'b', 'c']).charCodeAt(0), r.fork().int(0, 1000)];
    };
    expect(draw(42)).to.deep.equal(draw(42));
    expect(draw(42)).to.not.deep.equal(draw(43));
  });

  it('keeps draws in range', () => {
    const r = mulberry32(3);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(5, 9);
      expect(v).to.be.within(5, 9);
      expect(r.next()).to.be.within(0, 0.9999999999);
    }
    expect(() => r.int(3, 2)).to.throw(RangeError);
    expect(() => r.pick([])).to.throw(RangeError);
  });
});
