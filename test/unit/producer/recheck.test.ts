import { expect } from 'chai';
import { encodeTick } from '../../../lib/tick.js';
import { SentLog, seqOfValue, tickId } from '../../../producer/recheck.js';

describe('producer/recheck', () => {
  describe('seqOfValue', () => {
    it('reads the seq of a tick as the producer writes it', () => {
      for (const seq of [0, 7, 12345, 9_007_199_254_740_991]) {
        const value = Buffer.from(encodeTick({ symbol: 'AAPL', ts: -1, price: 1.5, volume: 100, source: 'sim', seq }));
        expect(seqOfValue(value), value.toString()).to.equal(seq);
      }
    });

    it('is -1 for values without a trailing seq', () => {
      expect(seqOfValue(Buffer.from('m1'))).to.equal(-1);
      expect(seqOfValue(Buffer.from('{"symbol":"A","seq":}'))).to.equal(-1);
      expect(seqOfValue(Buffer.from('{"symbol":"A","volume":3}'))).to.equal(-1);
      expect(seqOfValue(Buffer.from('{"seq":3} '))).to.equal(-1);
      expect(seqOfValue(Buffer.alloc(0))).to.equal(-1);
    });
  });

  describe('SentLog', () => {
    it('numbers messages per partition from 1, as librdkafka does', () => {
      const log = new SentLog(10);
      log.record(0, '"A"', 0);
      log.record(1, '"B"', 0);
      log.record(0, '"A"', 1);
      log.record(0, '"C"', 0);
      expect(log.find(0, 1, 2)).to.deep.equal({
        ticks: [
          { partition: 0, msgid: 1, symbol: 'A', seq: 0 },
          { partition: 0, msgid: 2, symbol: 'A', seq: 1 },
        ],
        forgotten: 0,
      });
      expect(log.find(1, 1, 1).ticks).to.deep.equal([{ partition: 1, msgid: 1, symbol: 'B', seq: 0 }]);
      expect(log.find(0, 3, 3).ticks[0]).to.include({ symbol: 'C', msgid: 3 });
    });

    it('forgets the oldest beyond its capacity and says how many it cannot name', () => {
      const log = new SentLog(3);
      for (let i = 0; i < 5; i++) log.record(2, '"X"', i);
      expect(log.find(2, 1, 5)).to.deep.include({ forgotten: 2 });
      expect(log.find(2, 1, 5).ticks.map((t) => t.seq)).to.deep.equal([2, 3, 4]);
    });

    it('refuses a capacity below 1', () => {
      expect(() => new SentLog(0)).to.throw(RangeError);
    });
  });

  it('tickId tells symbols and seqs apart', () => {
    expect(tickId('A', 12)).to.not.equal(tickId('A1', 2));
  });
});
