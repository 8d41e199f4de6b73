import { expect } from 'chai';
import { classifyReport, NO_OFFSET, parseImplicitAck, withEosDebug } from '../../../lib/delivery.js';

describe('lib/delivery', () => {
  describe('classifyReport', () => {
    it('an error is a failure, whatever the offset', () => {
      expect(classifyReport({ code: -192 }, NO_OFFSET)).to.equal('failed');
      expect(classifyReport({ code: 7 }, 12)).to.equal('failed');
    });

    it('no error with an offset is a delivery, offset 0 included', () => {
      expect(classifyReport(null, 0)).to.equal('delivered');
      expect(classifyReport(undefined, 4711)).to.equal('delivered');
    });

    it('no error without an offset (implicit ack, -1001) is unconfirmed', () => {
      expect(classifyReport(null, NO_OFFSET)).to.equal('unconfirmed');
      expect(classifyReport(null, -1)).to.equal('unconfirmed');
      expect(classifyReport(null, undefined)).to.equal('unconfirmed');
      expect(classifyReport(null, Number.NaN)).to.equal('unconfirmed');
    });
  });

  describe('parseImplicitAck', () => {
    // As librdkafka 2.12 logged it through node-rdkafka's event.log (debug=eos, the fresh-topic race).
    const line =
      '[thrd:127.0.0.1:21094/3]: 127.0.0.1:21094/3: race-1796405692837-36 [2] 1 message(s) implicitly acked by subsequent batch success (msgids 1..1, last acked 2)';

    it('reads topic, partition, count and message ids', () => {
      expect(parseImplicitAck('IMPLICITACK', line)).to.deep.equal({ topic: 'race-1796405692837-36', partition: 2, count: 1, firstMsgid: 1, lastMsgid: 1 });
      const two = line.replace('1 message(s)', '2 message(s)').replace('msgids 1..1', 'msgids 1..2');
      expect(parseImplicitAck('IMPLICITACK', two)).to.include({ count: 2, firstMsgid: 1, lastMsgid: 2 });
    });

    it('ignores other facilities and other lines', () => {
      expect(parseImplicitAck('MSGSET', line)).to.equal(null);
      expect(parseImplicitAck('IMPLICITACK', 'something else')).to.equal(null);
    });

    it('reads topic names with dots (ticks.dlq)', () => {
      const dlq = line.replace('race-1796405692837-36', 'ci-x.ticks.dlq');
      expect(parseImplicitAck('IMPLICITACK', dlq)?.topic).to.equal('ci-x.ticks.dlq');
    });
  });

  describe('withEosDebug', () => {
    it('adds eos to the contexts asked for, once', () => {
      expect(withEosDebug(undefined)).to.equal('eos');
      expect(withEosDebug('')).to.equal('eos');
      expect(withEosDebug('broker, topic')).to.equal('broker,topic,eos');
      expect(withEosDebug('msg,eos')).to.equal('msg,eos');
      expect(withEosDebug('all')).to.equal('all');
    });
  });
});
